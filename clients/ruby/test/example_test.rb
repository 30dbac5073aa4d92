# frozen_string_literal: true

require_relative "test_helper"

# docs/examples/platform_client.rb runs as written against a real daemon.
class ExampleTest < DaemonTest
  def test_example_runs
    example = File.expand_path("../../../docs/examples/platform_client.rb", __dir__)
    lib = File.expand_path("../lib", __dir__)
    output = IO.popen(["ruby", "-I", lib, example, @daemon.socket_path], err: %i[child out], &:read)
    assert $?.success?, output
    assert_match(/now serves backup/, output)
  end
end
