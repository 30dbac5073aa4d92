# frozen_string_literal: true

module Failoverd
  # What a watcher knows of the daemon's state: apps and groups as Hashes, kept current from events.
  # Used by Watch to turn the difference between two exports into events after a reconnect.
  class StateCache
    def initialize(export)
      @apps = export["apps"].to_h { |app| [app["app"], app] }
      @groups = export["groups"].to_h { |group| [group["address"], group] }
    end

    # Applies a (real or synthesized) event.
    def apply(event)
      case event["event"]
      when "app.changed" then event["info"] ? @apps[event["app"]] = event["info"] : @apps.delete(event["app"])
      when "status.changed" then @apps[event["app"]] &&= @apps[event["app"]].merge("status" => event["status"])
      else
        return unless event.key?("group") && event["address"]

        event["group"] ? @groups[event["address"]] = event["group"] : @groups.delete(event["address"])
      end
    end

    # True when `event` would change what is known (false for one already reflected, e.g. by an export).
    def news?(event)
      case event["event"]
      when "app.changed" then @apps[event["app"]]&.reject { |k, _| k == "status" } != event["info"]&.reject { |k, _| k == "status" }
      when "status.changed" then @apps.dig(event["app"], "status") != event["status"]
      else
        known = @groups[event["address"]]
        event["group"].nil? ? !known.nil? : known.nil? || known["version"] < event["group"]["version"]
      end
    end

    # Events that turn this state into `export`'s, marked "resumed" => true, at the export's time.
    def diff(export)
      at = export["exported_at"]
      apps = export["apps"].to_h { |app| [app["app"], app] }
      groups = export["groups"].to_h { |group| [group["address"], group] }
      events = app_events(apps, at) + group_events(groups, at) + status_events(apps, at)
      events.map { |event| event.merge("resumed" => true) }
    end

    private

    def app_events(apps, at)
      changed = apps.filter_map do |id, info|
        old = @apps[id]
        next if old && old.reject { |k, _| k == "status" } == info.reject { |k, _| k == "status" }

        { "event" => "app.changed", "at" => at, "app" => id, "change" => old ? "updated" : "created", "info" => info }
      end
      deleted = (@apps.keys - apps.keys).map do |id|
        { "event" => "app.changed", "at" => at, "app" => id, "change" => "deleted", "info" => nil }
      end
      changed + deleted
    end

    def status_events(apps, at)
      apps.filter_map do |id, info|
        previous = @apps.dig(id, "status") || "none"
        next if previous == info["status"]

        { "event" => "status.changed", "at" => at, "app" => id, "status" => info["status"], "previous" => previous }
      end
    end

    def group_events(groups, at)
      events = groups.flat_map { |address, group| group_change(@groups[address], group, at) }
      events + (@groups.keys - groups.keys).map do |address|
        { "event" => "group.changed", "at" => at, "address" => address, "change" => "deleted", "group" => nil }
      end
    end

    # The events one group's change implies: apps changed, a switch done, a switch scheduled or dropped.
    def group_change(old, group, at)
      base = { "at" => at, "address" => group["address"], "group" => group }
      return [base.merge("event" => "group.changed", "change" => "created")] if old.nil?
      return [] if old["version"] == group["version"]

      events = []
      if old.values_at("primary", "backup") != group.values_at("primary", "backup")
        events << base.merge("event" => "group.changed", "change" => "updated")
      end
      if old["active"] != group["active"]
        events << base.merge("event" => "switch.done", "from" => old["active"], "to" => group["active"])
      end
      events.concat(pending_change(old["pending"], group["pending"], base))
    end

    def pending_change(before, after, base)
      return [] if before == after
      if after
        return [base.merge("event" => "switch.scheduled", "to" => after["to"], "due" => after["due"],
                           "requested_by" => after["requested_by"])]
      end
      # Done (shown by switch.done) or dropped: a pending switch that did not take effect was cancelled.
      return [] if base["group"]["active"] == before["to"]

      [base.merge("event" => "switch.cancelled", "to" => before["to"], "reason" => "unknown")]
    end
  end
end
