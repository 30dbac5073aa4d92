#!/usr/bin/env ruby
# frozen_string_literal: true

# The platform's side with the failoverd gem (clients/ruby): two apps, a group, a switch to the
# backup, and the watch that sees it done. Run by clients/ruby/test/example_test.rb.
#
#   ruby -I clients/ruby/lib docs/examples/platform_client.rb [/run/failoverd/control.sock]

require "failoverd"

client = Failoverd::Client.new(socket: ARGV[0] || ENV.fetch("FAILOVERD_SOCKET", Failoverd::Client::DEFAULT_SOCKET))
hello = client.hello
puts "connected to #{hello['server']} #{hello['version']}, zone #{hello['zone']}"

client.apps.put("shop-main", name: "Shop", web_head: { hostname: "lb1.example.net" })
client.apps.put("shop-dr", name: "Shop DR", web_head: { addresses: ["192.0.2.10", "2001:db8::10"] })
group = client.groups.create(primary: "shop-main", backup: "shop-dr")
puts "group #{group.name} created (version #{group.version})"

# The watch has a connection of its own; it is open before the switch, so switch.done cannot be missed.
watch = Failoverd::Watch.new(client)
done = Queue.new
Thread.new { watch.each { |event| done << event if event["event"] == "switch.done" } }
sleep 0.3

result = client.switches.schedule(group.address, to: "backup", delay: 1, requested_by: "platform example")
puts "switch #{result.outcome}, due #{result.group.pending.due}"

begin
  client.apps.remove("shop-main")
rescue Failoverd::InUse => e
  puts "as expected, app.remove was refused: #{e.message}"
end

event = done.pop
puts "#{event['address']} now serves #{client.groups.get(group.address).active}"
watch.close
client.close
