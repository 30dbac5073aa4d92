# frozen_string_literal: true

require_relative "test_helper"

class ClientTest < DaemonTest
  def test_every_operation
    assert_equal 1, @client.hello["protocol"]
    app = @client.apps.put("shop", name: "Shop", web_head: { hostname: "lb1.example.net" })
    assert_equal Failoverd::App.new(id: "shop", name: "Shop", web_head: { "hostname" => "lb1.example.net" },
                                    status: "none"), app
    @client.apps.put("dr", name: "DR", web_head: { addresses: ["192.0.2.10"] })
    assert_equal %w[dr shop], @client.apps.list.map(&:id)
    group = @client.groups.create(primary: "shop", backup: "dr")
    assert_match(/\A\d{3}-\d{3}-\d{3}\z/, group.address)
    assert_equal [1, "primary", "shop"], [group.version, group.active, group.active_app]
    assert_equal "online", @client.apps.status("shop")["status"]
    assert_equal "offline", @client.apps.get("dr").status

    scheduled = @client.switches.schedule(group.address, to: :backup, delay: 60, requested_by: "test")
    assert_equal ["scheduled", "backup", "test"], [scheduled.outcome, scheduled.group.pending.to,
                                                   scheduled.group.pending.requested_by]
    assert_equal [true, nil], @client.switches.cancel(group.address).then { |cancelled, g| [cancelled, g.pending] }
    assert_equal "applied", @client.switches.schedule(group.address, to: "backup", delay: 0).outcome
    assert_equal "backup", @client.groups.get(group.address).active

    updated = @client.groups.update(group.address, primary: nil, if_version: @client.groups.get(group.address).version)
    assert_nil updated.primary
    assert_equal [group.address], @client.groups.list.map(&:address)
    assert_equal 1, @client.export["groups"].size
    assert_equal 2, @client.stats["apps"]
    assert @client.reload.key?("serial")
    assert_equal({ "app" => "shop", "removed" => true }, @client.apps.remove("shop"))
    @client.groups.update(group.address, backup: nil)
    assert_equal({ "address" => group.address, "deleted" => true }, @client.groups.delete(group.address))
  end

  def test_error_codes_the_daemon_produces
    put_apps("a", "b")
    group = @client.groups.create(primary: "a", backup: "b")
    assert_raises(Failoverd::NotFound) { @client.apps.get("nope") }
    assert_raises(Failoverd::Conflict) { @client.groups.update(group.address, backup: "a") }
    assert_raises(Failoverd::Conflict) { @client.groups.update(group.address, backup: "b", if_version: 99) }
    assert_raises(Failoverd::Conflict) { @client.groups.create(address: group.address) }
    assert_raises(Failoverd::InUse) { @client.apps.remove("a") }
    assert_raises(Failoverd::InUse) { @client.groups.delete(group.address) }
    error = assert_raises(Failoverd::BadRequest) { @client.call("app.get", adress: "a") }
    assert_equal "bad_request", error.code
    assert_raises(Failoverd::UnknownOp) { @client.call("app.frobnicate") }
    assert_raises(Failoverd::BadRequest) { @client.apps.put("bad id!", name: "x", web_head: nil) }

    connection = Failoverd::Connection.new(@daemon.socket_path, timeout: 5)
    connection.write_line("x" * (70 * 1024))
    assert_raises(Failoverd::TooLarge) { connection.read_response(nil) }
    connection.write_request(1, "hello", {}) # the connection goes on after too_large
    assert_equal "failoverd", connection.read_response(1)["server"]
  ensure
    connection&.close
  end

  def test_unknown_codes_are_internal
    assert_equal Failoverd::InternalError, Failoverd::ProtocolError.for_code("new_code")
    assert_equal Failoverd::Unauthorized, Failoverd::ProtocolError.for_code("unauthorized")
    assert_equal Failoverd::Unavailable, Failoverd::ProtocolError.for_code("unavailable")
  end

  def test_reconnects_across_a_restart
    put_apps("a")
    @client.hello
    @daemon.restart
    assert_equal "A", @client.apps.get("a").name # the old connection is gone: reconnected
  end

  def test_waits_for_a_daemon_that_comes_back
    put_apps("a")
    @daemon.stop
    starter = Thread.new { sleep 0.5; @daemon.start }
    assert_equal "A", @client.apps.get("a").name
  ensure
    starter&.join
  end

  def test_gives_up_after_the_backoff
    @daemon.stop
    client = Failoverd::Client.new(socket: @daemon.socket_path, backoff: Failoverd::Backoff.new(base: 0.01, attempts: 2))
    assert_raises(Failoverd::ConnectionError) { client.hello }
  end

  def test_ambiguous_retries_are_resolved
    put_apps("a", "b")
    group = @client.groups.create(primary: "a", backup: "b")
    remove = Failoverd::Request.new("group.delete", address: "999-999-999")
    assert_raises(Failoverd::NotFound) { @client.execute(remove) } # not ambiguous: a real not_found
    remove.ambiguous = true
    assert_equal({ "address" => "999-999-999", "deleted" => true }, @client.execute(remove))
    create = Failoverd::Request.new("group.create", address: group.address, primary: "a", backup: "b")
    create.ambiguous = true
    assert_equal group.address, @client.execute(create)["address"]
    create = Failoverd::Request.new("group.create", address: group.address, primary: "b", backup: "a")
    create.ambiguous = true
    assert_raises(Failoverd::Conflict) { @client.execute(create) } # someone else's group
    update = Failoverd::Request.new("group.update", address: group.address, backup: nil, if_version: 1)
    @client.execute(update)
    update.ambiguous = true
    assert_equal 2, @client.execute(update)["version"] # the first attempt did it
    refute Failoverd::Request.new("group.create", primary: "a").retryable?
  end

  def test_pipeline
    results = @client.pipeline do |batch|
      200.times { |i| batch.apps.put("app#{i}", name: "App #{i}", web_head: nil) }
      batch.groups.create(address: "100-000-001", primary: "app1", backup: "app2")
      batch.apps.remove("app1")
      batch.apps.list
    end
    assert_equal 203, results.size
    assert_equal "app199", results[199].id
    assert_equal "100-000-001", results[200].address
    assert_instance_of Failoverd::InUse, results[201]
    assert_equal 200, results[202].size
  end
end
