# frozen_string_literal: true

require "securerandom"

module Failoverd
  # Failover groups (group.create, update, get, list, delete).
  class Groups
    # Fresh addresses tried when a chosen one is taken.
    CREATE_ATTEMPTS = 5

    def self.random_address
      format("%09d", SecureRandom.random_number(1_000_000_000)).scan(/\d{3}/).join("-")
    end

    def initialize(executor)
      @executor = executor
    end

    # Creates a group. Without `address` the client draws one at random and passes it, so a retry
    # after a lost answer can tell the group exists instead of creating a second one; a drawn
    # address that is taken is drawn again. With `address`, Conflict means it is taken.
    def create(primary: nil, backup: nil, address: nil)
      return @executor.execute(create_request(address, primary, backup)) if address || @executor.is_a?(Pipeline)

      attempts = 0
      begin
        @executor.execute(create_request(Groups.random_address, primary, backup))
      rescue Conflict
        raise if (primary && primary == backup) || (attempts += 1) >= CREATE_ATTEMPTS

        retry
      end
    end

    # Changes the group's apps. Pass primary:/backup: to set (nil clears); omit a role to keep it.
    # if_version: refuse with Conflict unless the group's version is still that.
    def update(address, if_version: nil, **roles)
      unknown = roles.keys - %i[primary backup]
      raise ArgumentError, "unknown role #{unknown.join(', ')}" unless unknown.empty?

      args = { address: address, **roles }
      args[:if_version] = if_version if if_version
      @executor.execute(Request.new("group.update", args) { |r| Group.from_h(r) })
    end

    def get(address)
      @executor.execute(Request.new("group.get", address: address) { |r| Group.from_h(r) })
    end

    def list
      @executor.execute(Request.new("group.list") { |r| r["groups"].map { |group| Group.from_h(group) } })
    end

    # Refused with InUse while the group has apps; the address is never handed out again.
    def delete(address)
      @executor.execute(Request.new("group.delete", address: address))
    end

    private

    def create_request(address, primary, backup)
      args = { address: address || Groups.random_address, primary: primary, backup: backup }.compact
      Request.new("group.create", args) { |r| Group.from_h(r) }
    end
  end
end
