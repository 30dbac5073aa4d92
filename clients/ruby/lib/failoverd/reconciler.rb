# frozen_string_literal: true

module Failoverd
  # Computes the changes that take the daemon from its export to a DesiredState, and applies them.
  #
  #   reconciler = Failoverd::Reconciler.new(client, prune: false, switch_delay: nil)
  #   plan = reconciler.plan(desired)
  #   puts plan                       # the dry run
  #   reconciler.apply(plan)          # stops at the first refusal (ReconcileConflict for a conflict)
  #
  # Semantics (docs/platform-client.md, "Reconciliation"): apps missing or with another name or web
  # head are put; extra apps are removed only with prune and only when no group uses them; a desired
  # group with an address is created when missing and updated (if_version) when its apps differ; one
  # without an address is created on every apply; groups not in the desired state are left alone; a
  # group is switched only when the desired state names its active side (after switch_delay, nil:
  # the daemon's switch-delay), and a pending switch away from that side is cancelled.
  class Reconciler
    # One change: `op` and `args` are the request; `expect_version` guards a switch or cancel.
    Step = Struct.new(:op, :args, :description, :expect_version, keyword_init: true) do
      def to_s = description
    end

    # The steps, in the order they are applied; to_s is the dry run's text.
    Plan = Struct.new(:steps) do
      def empty? = steps.empty?
      def to_s = empty? ? "nothing to do" : steps.map(&:to_s).join("\n")
    end

    def initialize(client, prune: false, switch_delay: nil)
      @client = client
      @prune = prune
      @switch_delay = switch_delay
    end

    def plan(desired, export = @client.export)
      apps = export["apps"].to_h { |app| [app["app"], app] }
      groups = export["groups"].to_h { |group| [group["address"], group] }
      steps = desired.apps.filter_map { |app| app_step(app, apps[app.id]) }
      desired.groups.each { |group| steps.concat(group_steps(group, group.address && groups[group.address])) }
      steps.concat(prune_steps(desired, apps, groups)) if @prune
      Plan.new(steps)
    end

    # Applies `plan`'s steps in order; returns the results. Stops at the first refusal: a Conflict
    # (a guard failed: the state moved since the plan) raises ReconcileConflict, others raise as they are.
    def apply(plan)
      versions = {} # address => version after this apply's own change
      plan.steps.map do |step|
        address = step.args["address"]
        check_version(address, versions[address] || step.expect_version) if step.expect_version
        @client.call(step.op, step.args).tap do |result|
          versions[address] = result["version"] if step.op == "group.update"
        end
      rescue Conflict => e
        raise ReconcileConflict.new(step, e)
      end
    end

    private

    def app_step(app, current)
      web_head = DesiredState.normalize_web_head(app.web_head)
      reason = if current.nil? then "missing"
               elsif current["name"] != app.name then "name #{current['name'].inspect} -> #{app.name.inspect}"
               elsif DesiredState.normalize_web_head(current["web_head"]) != web_head
                 "web head #{describe(current['web_head'])} -> #{describe(app.web_head)}"
               end
      return nil unless reason

      Step.new(op: "app.put", args: { "app" => app.id, "name" => app.name, "web_head" => app.web_head },
               description: "put app #{app.id} (#{reason})")
    end

    def group_steps(group, current)
      return [create_step(group)] + active_steps(group, group.address, "primary", nil, nil) if current.nil?

      steps = []
      version = current["version"]
      changes = %w[primary backup].reject { |role| current[role] == group[role] }
      unless changes.empty?
        text = changes.map { |role| "#{role} #{current[role] || '-'} -> #{group[role] || '-'}" }.join(", ")
        steps << Step.new(op: "group.update",
                          args: { "address" => group.address, "primary" => group.primary, "backup" => group.backup,
                                  "if_version" => version },
                          description: "update group #{group.address}: #{text} (if version #{version})")
        version += 1
      end
      # Clearing the app a pending switch goes to cancels it (and counts as a change of the group).
      pending = current["pending"]
      pending = nil if pending && group[pending["to"]].nil?
      steps + active_steps(group, group.address, current["active"], pending, version)
    end

    def create_step(group)
      args = { "address" => group.address, "primary" => group.primary, "backup" => group.backup }.compact
      where = group.address ? "group #{group.address}" : "a group"
      Step.new(op: "group.create", args: args,
               description: "create #{where}: primary #{group.primary || '-'}, backup #{group.backup || '-'}")
    end

    # A switch to the desired active side, or a cancel of a pending switch away from it.
    def active_steps(group, address, active, pending, version)
      return [] if group.active.nil? || address.nil?

      guard = version ? " (if version #{version})" : ""
      if active != group.active
        return [] if pending && pending["to"] == group.active

        delay = @switch_delay ? "in #{@switch_delay} s" : "after the default delay"
        args = { "address" => address, "to" => group.active, "delay_seconds" => @switch_delay,
                 "requested_by" => "reconcile" }.compact
        [Step.new(op: "group.switch", args: args, expect_version: version,
                  description: "switch group #{address} to #{group.active} #{delay}#{guard}")]
      elsif pending
        [Step.new(op: "group.cancel", args: { "address" => address }, expect_version: version,
                  description: "cancel the pending switch of group #{address} to #{pending['to']}#{guard}")]
      else
        []
      end
    end

    # Apps the desired state does not name and no group will use.
    def prune_steps(desired, apps, groups)
      wanted = desired.apps.map(&:id)
      used = groups.values.reject { |group| desired.groups.any? { |d| d.address == group["address"] } }
                   .flat_map { |group| group.values_at("primary", "backup") }
      used += desired.groups.flat_map { |group| [group.primary, group.backup] }
      (apps.keys - wanted - used.compact).map do |id|
        Step.new(op: "app.remove", args: { "app" => id }, description: "remove app #{id} (not desired, in no group)")
      end
    end

    # group.switch and group.cancel take no if_version: check the version just before.
    def check_version(address, expected)
      version = @client.call("group.get", address: address)["version"]
      return if version == expected

      raise Conflict.new("group #{address} is at version #{version}, the plan expected #{expected}", code: "conflict")
    end

    def describe(web_head)
      return "none" if web_head.nil?

      web_head = web_head.transform_keys(&:to_s)
      web_head["hostname"] || web_head["addresses"].join(",")
    end
  end
end
