# frozen_string_literal: true

require "minitest/autorun"
require "failoverd"
require "etc"
require "fileutils"
require_relative "daemon"

# The two error codes that need root to provoke: a peer the daemon's access rule refuses
# (`unauthorized`), and a state directory that runs full (`unavailable`). Skipped unless root.
class PrivilegedTest < Minitest::Test
  def setup
    skip "needs root (setpriv, mount)" unless Process.uid.zero?
  end

  def test_unauthorized
    # The daemon runs as nobody and allows nobody else: root is refused.
    nobody = Etc.getpwnam("nobody")
    daemon = Daemon.new(run_as: nobody.name, control: ["allow-users: []", "allow-groups: []"])
    client = Failoverd::Client.new(socket: daemon.socket_path, timeout: 5, backoff: Failoverd::Backoff.new(base: 0.01, max: 0.01, attempts: 1))
    error = assert_raises(Failoverd::Unauthorized) { client.hello }
    assert_equal "unauthorized", error.code
  ensure
    client&.close
    daemon&.destroy
  end

  def test_unavailable_when_the_disk_is_full
    daemon = Daemon.new
    state = File.join(daemon.folder, "state")
    daemon.stop
    FileUtils.rm_rf(Dir[File.join(state, "*")])
    assert system("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", state), "mount failed"
    mounted = true
    daemon.start
    client = Failoverd::Client.new(socket: daemon.socket_path, timeout: 5, backoff: Failoverd::Backoff.new(base: 0.01, max: 0.01, attempts: 1))
    error = assert_raises(Failoverd::Unavailable) do
      2_000.times do |index|
        client.apps.put("app-#{index}", name: "x" * 200, web_head: { hostname: "h#{index}.example.net" })
      end
    end
    assert_equal "unavailable", error.code
    assert_equal "failoverd", client.hello["server"], "the daemon keeps answering"
  ensure
    client&.close
    daemon&.stop
    system("umount", state) if mounted
    daemon&.destroy
  end
end
