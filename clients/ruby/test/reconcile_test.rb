# frozen_string_literal: true

require_relative "test_helper"

class ReconcileTest < DaemonTest
  ADDRESS = "414-262-781"

  def desired
    Failoverd::DesiredState.from_h(
      "apps" => [
        { "app" => "shop", "name" => "Shop", "web_head" => { "hostname" => "lb2.example.net" } },
        { "app" => "shop-dr", "name" => "Shop DR", "web_head" => { "addresses" => ["192.0.2.10"] } }
      ],
      "groups" => [{ "address" => ADDRESS, "primary" => "shop", "backup" => "shop-dr", "active" => "primary" }]
    )
  end

  def test_from_drift_to_desired_then_nothing
    # Drift: shop has an old web head, shop-dr is missing, old is extra, the group is on the backup.
    @client.apps.put("shop", name: "Shop", web_head: { hostname: "lb1.example.net" })
    @client.apps.put("old", name: "Old", web_head: nil)
    @client.apps.put("stray", name: "Stray", web_head: nil)
    @client.groups.create(address: ADDRESS, primary: "shop", backup: "old")
    @client.switches.schedule(ADDRESS, to: "backup", delay: 0)

    reconciler = Failoverd::Reconciler.new(@client, prune: true, switch_delay: 0)
    plan = reconciler.plan(desired)
    assert_equal <<~PLAN.chomp, plan.to_s
      put app shop (web head lb1.example.net -> lb2.example.net)
      put app shop-dr (missing)
      update group #{ADDRESS}: backup old -> shop-dr (if version 2)
      switch group #{ADDRESS} to primary in 0 s (if version 3)
      remove app old (not desired, in no group)
      remove app stray (not desired, in no group)
    PLAN
    reconciler.apply(plan)
    group = @client.groups.get(ADDRESS)
    assert_equal %w[shop shop-dr primary], [group.primary, group.backup, group.active]
    assert_equal %w[shop shop-dr], @client.apps.list.map(&:id)
    assert_equal "nothing to do", reconciler.plan(desired).to_s
  end

  def test_stops_at_the_first_conflict
    @client.apps.put("shop", name: "Shop", web_head: nil)
    @client.groups.create(address: ADDRESS, primary: "shop")
    reconciler = Failoverd::Reconciler.new(@client)
    plan = reconciler.plan(desired)
    @client.apps.put("other", name: "Other", web_head: nil)
    @client.groups.update(ADDRESS, backup: "other") # the group moves on after the plan
    error = assert_raises(Failoverd::ReconcileConflict) { reconciler.apply(plan) }
    assert_match(/update group #{ADDRESS}/, error.step.to_s)
    assert_equal "other", @client.groups.get(ADDRESS).backup
  end

  def test_default_keeps_extra_apps_and_the_active_side
    @client.apps.put("stray", name: "Stray", web_head: nil)
    state = Failoverd::DesiredState.from_h("apps" => [], "groups" => [])
    assert Failoverd::Reconciler.new(@client).plan(state).empty?
  end
end
