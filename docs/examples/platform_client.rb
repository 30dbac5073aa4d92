#!/usr/bin/env ruby
# frozen_string_literal: true

# A minimal failoverd control client for the app platform: Ruby's standard library only.
# It puts two apps, creates a group, switches it to the backup and waits for switch.done.
#
#   ruby platform_client.rb [/run/failoverd/control.sock]

require "socket"
require "json"

# One connection, one request at a time. Errors from the daemon raise FailoverdError with a stable code.
class FailoverdClient
  class FailoverdError < StandardError
    attr_reader :code

    def initialize(code, message)
      @code = code
      super("#{code}: #{message}")
    end
  end

  def initialize(path = ENV.fetch("FAILOVERD_SOCKET", "/run/failoverd/control.sock"), timeout: 10)
    @socket = UNIXSocket.new(path)
    @timeout = timeout
    @next_id = 0
  end

  def call(op, **args)
    @next_id += 1
    request = { id: @next_id, op: op }
    request[:args] = args unless args.empty?
    @socket.write(JSON.generate(request) + "\n")
    response = read_message(@timeout)
    raise "unexpected response #{response.inspect}" unless response["id"] == @next_id || response["id"].nil?
    raise FailoverdError.new(response["error"]["code"], response["error"]["message"]) unless response["ok"]

    response["result"]
  end

  # Turns this connection into an event stream; yields each event until the block returns :stop.
  def watch
    call("watch")
    loop do
      event = read_message(nil)
      break if yield(event) == :stop
    end
  end

  def close
    @socket.close
  end

  private

  def read_message(timeout)
    raise "timed out waiting for failoverd" if timeout && !@socket.wait_readable(timeout)

    line = @socket.gets or raise EOFError, "failoverd closed the connection"
    JSON.parse(line)
  end
end

path = ARGV[0] || ENV.fetch("FAILOVERD_SOCKET", "/run/failoverd/control.sock")
client = FailoverdClient.new(path)
hello = client.call("hello", protocol: 1)
puts "connected to #{hello['server']} #{hello['version']}, zone #{hello['zone']}, serial #{hello['serial']}"

client.call("app.put", app: "shop-main", name: "Shop", web_head: { hostname: "lb1.example.net" })
client.call("app.put", app: "shop-dr", name: "Shop DR", web_head: { addresses: ["192.0.2.10", "2001:db8::10"] })
group = client.call("group.create", primary: "shop-main", backup: "shop-dr")
address = group["address"]
puts "group #{group['name']} created (version #{group['version']})"

# Events go to a second connection, opened before the switch so switch.done cannot be missed.
watcher = FailoverdClient.new(path)
waiting = Thread.new do
  watcher.watch do |event|
    puts "event #{event['event']} at #{event['at']}"
    :stop if event["event"] == "switch.done" && event["address"] == address
  end
end
sleep 0.2 # let the watch be acknowledged first

result = client.call("group.switch", address: address, to: "backup", delay_seconds: 5, requested_by: "platform example")
puts "switch #{result['outcome']}, due #{result['group']['pending'] && result['group']['pending']['due']}"

begin
  client.call("app.remove", app: "shop-main")
rescue FailoverdClient::FailoverdError => e
  puts "as expected, app.remove was refused: #{e.message}" if e.code == "in_use"
end

waiting.join
puts "#{address} now serves #{client.call('group.get', address: address)['active']}"
watcher.close
client.close
