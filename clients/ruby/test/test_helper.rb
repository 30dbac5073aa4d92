# frozen_string_literal: true

require "minitest/autorun"
require "failoverd"
require_relative "daemon"

# Each test gets a fresh daemon and a client on it.
class DaemonTest < Minitest::Test
  def setup
    @daemon = Daemon.new
    @client = Failoverd::Client.new(socket: @daemon.socket_path, timeout: 5)
  end

  def teardown
    @client&.close
    @daemon&.destroy
  end

  def put_apps(*ids)
    ids.each { |id| @client.apps.put(id, name: id.capitalize, web_head: { hostname: "#{id}.example.net" }) }
  end
end
