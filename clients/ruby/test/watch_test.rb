# frozen_string_literal: true

require_relative "test_helper"

class WatchTest < DaemonTest
  def test_live_events_and_resume_after_a_restart
    put_apps("a", "b")
    group = @client.groups.create(primary: "a", backup: "b")
    watch = Failoverd::Watch.new(@client)
    events = Queue.new
    reader = Thread.new { watch.each { |event| events << event } }
    sleep 0.3 # acknowledged and exported
    @client.switches.schedule(group.address, to: "backup", delay: 1)
    assert_equal "switch.scheduled", next_event(events, "switch.scheduled")["event"]

    # The switch falls due while the daemon is down and applies at start-up, before the watch is back.
    @daemon.stop
    sleep 1.2
    @daemon.start
    done = next_event(events, "switch.done")
    assert_equal [true, "primary", "backup", group.address], done.values_at("resumed", "from", "to", "address")
    assert_equal "online", next_event(events, "status.changed").then { |e| e["app"] == "b" ? e : next_event(events, "status.changed") }["status"]

    @client.apps.put("a", name: "A2", web_head: nil) # live again, once
    changed = next_event(events, "app.changed")
    assert_nil changed["resumed"]
    assert_equal "A2", changed["info"]["name"]
    assert_equal 1, watch.reconnects
  ensure
    watch&.close
    reader&.join(2)
  end

  def next_event(queue, name, timeout: 5)
    deadline = Time.now + timeout
    loop do
      raise "no #{name} within #{timeout} s" if Time.now > deadline

      event = queue.pop(true) rescue (sleep 0.02; next)
      return event if event["event"] == name
    end
  end
end
