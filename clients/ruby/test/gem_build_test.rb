# frozen_string_literal: true

require "minitest/autorun"
require "open3"
require "tmpdir"
require "fileutils"

# The gem builds from its gemspec, and what it packs loads on its own.
class GemBuildTest < Minitest::Test
  ROOT = File.expand_path("..", __dir__)

  def test_gem_builds_and_its_files_load
    Dir.mktmpdir do |dir|
      FileUtils.cp_r(Dir["#{ROOT}/*"], dir)
      output, status = Open3.capture2e("gem", "build", "failoverd.gemspec", chdir: dir)
      assert status.success?, output
      gem = Dir["#{dir}/failoverd-*.gem"].first
      refute_nil gem, output
      unpacked = File.join(dir, "unpacked")
      output, status = Open3.capture2e("gem", "unpack", gem, "--target", unpacked)
      assert status.success?, output
      lib = Dir["#{unpacked}/failoverd-*/lib"].first
      refute_nil lib, "no lib/ in the built gem"
      output, status = Open3.capture2e("ruby", "-I", lib, "-e", "require 'failoverd'; puts Failoverd::VERSION")
      assert status.success?, output
      assert_match(/\A\d+\.\d+\.\d+/, output)
    end
  end
end
