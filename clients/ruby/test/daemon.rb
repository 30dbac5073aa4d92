# frozen_string_literal: true

require "etc"
require "fileutils"
require "socket"
require "tmpdir"

# A real failoverd for the tests: FAILOVERD_BIN (default .build/debug/failoverd from the repository
# root), its own temporary folder (state, control socket, zone), a free 127.0.0.1 port.
class Daemon
  ZONE = <<~ZONE
    $ORIGIN example.test.
    $TTL 3600
    @    3600 IN SOA ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300
    @         IN NS  ns1.example.test.
    ns1       IN A   192.0.2.53
  ZONE

  attr_reader :folder, :socket_path

  def self.binary
    ENV.fetch("FAILOVERD_BIN") { File.expand_path("../../../.build/debug/failoverd", __dir__) }
  end

  # `run_as`: a user to run the daemon as (needs root, for setpriv); `control` adds lines under control:.
  def initialize(switch_delay: 30, run_as: nil, control: [])
    @run_as = run_as
    @folder = Dir.mktmpdir("failoverd-ruby")
    @socket_path = File.join(@folder, "control.sock")
    File.write(File.join(@folder, "zone.db"), ZONE)
    @config = File.join(@folder, "failoverd.yaml")
    File.write(@config, <<~YAML)
      listen: ["127.0.0.1:#{free_port}"]
      zone:
        origin: example.test
        file: #{@folder}/zone.db
      switch-delay: #{switch_delay}
      log-level: warning
      state-dir: #{@folder}/state
      control:
        socket: #{@socket_path}
    YAML
    File.write(@config, control.map { |line| "  #{line}\n" }.join, mode: "a")
    FileUtils.chown_R(run_as, nil, @folder) if run_as
    FileUtils.chmod(0o755, @folder) if run_as
    start
  end

  def start
    runner = @run_as ? ["setpriv", "--reuid=#{@run_as}", "--regid=#{Etc.getpwnam(@run_as).gid}", "--clear-groups"] : []
    @pid = Process.spawn(*runner, Daemon.binary, "--config", @config, in: File::NULL,
                                                             %i[out err] => [File.join(@folder, "stderr"), "a"])
    deadline = Time.now + 10
    until listening?
      raise "failoverd did not open #{@socket_path} within 10 s:\n#{log}" if Time.now > deadline
      raise "failoverd exited during start-up:\n#{log}" if Process.waitpid(@pid, Process::WNOHANG)

      sleep 0.02
    end
  end

  # SIGTERM and wait.
  def stop
    return unless @pid

    Process.kill("TERM", @pid)
    Process.wait(@pid)
    @pid = nil
  end

  def restart
    stop
    start
  end

  def destroy
    stop
  ensure
    FileUtils.rm_rf(@folder)
  end

  def log
    File.exist?(File.join(@folder, "stderr")) ? File.read(File.join(@folder, "stderr")) : ""
  end

  private

  def listening?
    UNIXSocket.new(@socket_path).close
    true
  rescue SystemCallError
    false
  end

  def free_port
    server = TCPServer.new("127.0.0.1", 0)
    server.addr[1]
  ensure
    server&.close
  end
end
