# frozen_string_literal: true

module Failoverd
  # A connection to failoverd that reconnects with backoff and retries safely.
  #
  #   client = Failoverd::Client.new(socket: "/run/failoverd/control.sock")
  #   client.apps.put("shop", name: "Shop", web_head: { hostname: "lb1.example.net" })
  #   group = client.groups.create(primary: "shop", backup: "shop-dr")
  #   client.switches.schedule(group.address, to: "backup", delay: 120)
  #
  # Not thread-safe: use one Client per thread (watch opens its own connection).
  class Client
    DEFAULT_SOCKET = "/run/failoverd/control.sock"

    attr_reader :socket_path, :timeout, :backoff

    # timeout: seconds to wait for each answer; backoff: waits between reconnect attempts (and how many).
    def initialize(socket: ENV.fetch("FAILOVERD_SOCKET", DEFAULT_SOCKET), timeout: 10, backoff: Backoff.new)
      @socket_path = socket
      @timeout = timeout
      @backoff = backoff
      @connection = nil
      @next_id = 0
    end

    def apps = @apps ||= Apps.new(self)
    def groups = @groups ||= Groups.new(self)
    def switches = @switches ||= Switches.new(self)
    # Health checks, when failoverd grows them, get their own class here (client.health), like Apps.

    def hello = call("hello", protocol: PROTOCOL)
    def export = call("export")
    def stats = call("stats")
    def reload = call("reload")

    # Sends `op` with `args` and returns the result Hash, retrying as Request describes.
    def call(op, args = {})
      execute(Request.new(op, args))
    end

    # Runs one Request: reconnects and re-sends after a lost connection, a timeout or `unavailable`,
    # up to backoff.attempts times.
    def execute(request)
      attempt = 0
      begin
        sent = false
        connection = connect
        id = next_id
        sent = true
        connection.write_request(id, request.op, request.args)
        request.transform.call(connection.read_response(id))
      rescue ConnectionError, Unavailable => e
        drop_connection if e.is_a?(ConnectionError)
        request.ambiguous ||= sent && e.is_a?(ConnectionError)
        raise if !request.retryable? && request.ambiguous
        raise if (attempt += 1) > backoff.attempts

        backoff.sleep_before(attempt)
        retry
      rescue ProtocolError => e
        resolved = request.resolve(self, e)
        raise if resolved.nil?

        request.transform.call(resolved)
      end
    end

    # Sends many requests without waiting for each answer; returns one entry per request, in order:
    # its result, or the Failoverd::Error it failed with.
    #
    #   results = client.pipeline do |batch|
    #     apps.each { |app| batch.apps.put(app.id, name: app.name, web_head: app.web_head) }
    #   end
    def pipeline(&block)
      batch = Pipeline.new(self)
      block.call(batch)
      batch.run
    end

    # An Enumerator of events on a connection of its own; see Watch.
    def watch(resync: true)
      Watch.new(self, resync: resync).each
    end

    def close
      drop_connection
    end

    # The live connection, opened if needed (used by Pipeline).
    def connect
      @connection ||= Connection.new(socket_path, timeout: timeout)
    end

    def drop_connection
      @connection&.close
      @connection = nil
    end

    def next_id
      @next_id += 1
    end
  end
end
