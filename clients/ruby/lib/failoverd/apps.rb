# frozen_string_literal: true

module Failoverd
  # Apps: the targets groups point at (app.*).
  class Apps
    def initialize(executor)
      @executor = executor
    end

    # Creates or replaces an app. web_head: {hostname: "lb.example.net"}, {addresses: [...]} or nil.
    def put(id, name:, web_head:)
      @executor.execute(Request.new("app.put", app: id, name: name, web_head: web_head) { |r| App.from_h(r) })
    end

    # Refused with InUse while a group uses the app.
    def remove(id)
      @executor.execute(Request.new("app.remove", app: id))
    end

    def get(id)
      @executor.execute(Request.new("app.get", app: id) { |r| App.from_h(r) })
    end

    def list
      @executor.execute(Request.new("app.list") { |r| r["apps"].map { |app| App.from_h(app) } })
    end

    # {"app" => id, "status" => "online"|"offline"|"none", "groups" => [{"address", "role", "active"}]}:
    # the status is the platform's FAILOVER_STATUS.
    def status(id)
      @executor.execute(Request.new("app.status", app: id))
    end
  end
end
