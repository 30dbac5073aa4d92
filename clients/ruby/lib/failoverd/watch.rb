# frozen_string_literal: true

module Failoverd
  # The daemon's event stream as an Enumerator of Hashes (the protocol's event lines), on a
  # connection of its own, resumed after a lost connection.
  #
  # With resync (the default) the watch takes an export right after its first acknowledgement and
  # keeps it current from the events. After a reconnect it watches again, exports again, and yields
  # the difference as synthesized events marked "resumed" => true (at the export's time) before the
  # live ones; a live event already reflected in that export is not yielded twice. What that cannot
  # give: the changes in between one by one (a group changed twice shows as one change, a switch
  # scheduled and cancelled while disconnected shows as nothing), their exact times, or the reason
  # of a dropped switch ("unknown"). Without resync, events committed while disconnected are lost.
  #
  #   client.watch.each { |event| handle(event) }         # blocks; break to stop
  #   events = client.watch; events.next                  # or as an external enumerator
  class Watch
    include Enumerable

    attr_reader :reconnects

    def initialize(client, resync: true)
      @client = client
      @resync = resync
      @state = nil
      @reconnects = 0
      @closed = false
    end

    def each(&block)
      return enum_for(:each) unless block

      loop do
        connection = attach
        covered_until = resume(&block)
        stream(connection, covered_until, &block)
        @reconnects += 1
      ensure
        connection&.close
        @exporter&.close
      end
    end

    # Stops the stream (from another thread): the blocked read ends and `each` returns.
    def close
      @closed = true
      @connection&.close
    end

    private

    # A client of the watch's own for exports: Client is not shared across threads.
    def exporter
      @exporter ||= Client.new(socket: @client.socket_path, timeout: @client.timeout, backoff: @client.backoff)
    end

    # Connects and sends watch, with backoff; gives up after backoff.attempts failures in a row.
    def attach
      attempt = 0
      begin
        @connection = Connection.new(@client.socket_path, timeout: @client.timeout)
        @connection.write_request("watch", "watch", {})
        @connection.read_response("watch")
        @connection
      rescue ConnectionError, Unavailable
        @connection&.close
        raise StopIteration if @closed
        raise if (attempt += 1) > @client.backoff.attempts

        @client.backoff.sleep_before(attempt)
        retry
      end
    end

    # After the acknowledgement: the first export, or the events missed since the last one.
    # Returns the time up to which live events may already be in the state.
    def resume
      return nil unless @resync

      export = exporter.export
      if @state.nil?
        @state = StateCache.new(export)
      else
        @state.diff(export).each do |event|
          @state.apply(event)
          yield event
        end
      end
      export["exported_at"]
    end

    def stream(connection, covered_until)
      loop do
        event = connection.read_message(timeout: nil)
        next unless event["event"]

        if @state
          next if covered_until && event["at"] <= covered_until && !@state.news?(event)

          @state.apply(event)
        end
        yield event
      end
    rescue ConnectionError
      raise StopIteration if @closed
    end
  end
end
