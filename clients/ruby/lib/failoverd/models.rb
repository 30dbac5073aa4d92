# frozen_string_literal: true

require "time"

module Failoverd
  # An app: `web_head` is {"hostname" => "..."}, {"addresses" => [...]} or nil (not deployed).
  App = Struct.new(:id, :name, :web_head, :status, keyword_init: true) do
    def self.from_h(hash)
      new(id: hash["app"], name: hash["name"], web_head: hash["web_head"], status: hash["status"])
    end
  end

  # A switch waiting for its due time (Time objects, UTC).
  PendingSwitch = Struct.new(:to, :due, :requested_at, :requested_by, keyword_init: true) do
    def self.from_h(hash)
      return nil if hash.nil?

      new(to: hash["to"], due: Time.iso8601(hash["due"]), requested_at: Time.iso8601(hash["requested_at"]),
          requested_by: hash["requested_by"])
    end
  end

  # A failover group; `active` is "primary" or "backup".
  Group = Struct.new(:address, :name, :primary, :backup, :active, :pending, :version, :created, :updated,
                     keyword_init: true) do
    def self.from_h(hash)
      new(address: hash["address"], name: hash["name"], primary: hash["primary"], backup: hash["backup"],
          active: hash["active"], pending: PendingSwitch.from_h(hash["pending"]), version: hash["version"],
          created: Time.iso8601(hash["created"]), updated: Time.iso8601(hash["updated"]))
    end

    # The app id of the active role.
    def active_app
      active == "backup" ? backup : primary
    end
  end

  # The outcome of Switches#schedule: "scheduled", "applied", "cancelled" or "unchanged", and the group after it.
  SwitchResult = Struct.new(:outcome, :group, keyword_init: true)
end
