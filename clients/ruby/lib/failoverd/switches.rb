# frozen_string_literal: true

module Failoverd
  # Switching a group between its primary and backup (group.switch, group.cancel).
  class Switches
    def initialize(executor)
      @executor = executor
    end

    # Makes `to` ("primary"/"backup") active after `delay` seconds (nil: the daemon's switch-delay;
    # 0: at once). Returns a SwitchResult. A retry after a lost answer schedules again from its own time.
    def schedule(address, to:, delay: nil, requested_by: nil)
      args = { address: address, to: to.to_s, delay_seconds: delay, requested_by: requested_by }.compact
      @executor.execute(Request.new("group.switch", args) do |r|
        SwitchResult.new(outcome: r["outcome"], group: Group.from_h(r["group"]))
      end)
    end

    # Drops a pending switch; returns [cancelled (true/false), group].
    def cancel(address)
      @executor.execute(Request.new("group.cancel", address: address) do |r|
        [r["cancelled"], Group.from_h(r["group"])]
      end)
    end
  end
end
