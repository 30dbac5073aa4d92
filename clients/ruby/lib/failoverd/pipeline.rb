# frozen_string_literal: true

module Failoverd
  # Requests queued by Client#pipeline, sent at most Connection::MAX_IN_FLIGHT ahead of their answers.
  #
  # After a lost connection the unanswered requests are re-sent in order on a new one (mutations
  # commit in the order sent, so the order survives), each under Request's retry rule.
  # A request answered `unavailable` is re-sent after the others.
  class Pipeline
    def initialize(client)
      @client = client
      @requests = []
    end

    def apps = @apps ||= Apps.new(self)
    def groups = @groups ||= Groups.new(self)
    def switches = @switches ||= Switches.new(self)

    def call(op, args = {})
      execute(Request.new(op, args))
    end

    # Queues `request`; returns its index in the results.
    def execute(request)
      @requests << request
      @requests.size - 1
    end

    def run
      results = Array.new(@requests.size)
      todo = (0...@requests.size).to_a
      attempt = 0
      until todo.empty?
        todo, failed = pass(todo, results)
        break if todo.empty?

        if (attempt += 1) > @client.backoff.attempts
          todo.each { |index| results[index] = failed }
          break
        end
        @client.backoff.sleep_before(attempt)
      end
      # Resolved here, not mid-pass: resolving sends requests of its own.
      results.each_with_index.map do |result, index|
        next result unless result.is_a?(ProtocolError)

        resolved = @requests[index].resolve(@client, result)
        resolved.nil? ? result : @requests[index].transform.call(resolved)
      end
    end

    private

    # Sends `todo` on one connection; returns the indexes still to send and the error that stopped it.
    def pass(todo, results)
      in_flight = [] # [index, id]
      queue = todo.dup
      retry_later = []
      connection = @client.connect
      until queue.empty? && in_flight.empty?
        while !queue.empty? && in_flight.size < Connection::MAX_IN_FLIGHT
          index = queue.shift
          id = @client.next_id
          in_flight << [index, id]
          connection.write_request(id, @requests[index].op, @requests[index].args)
        end
        index, id = in_flight.first
        outcome = answer(connection, index, id)
        in_flight.shift
        outcome == :unavailable ? retry_later << index : results[index] = outcome
      end
      [retry_later, nil]
    rescue ConnectionError => e
      @client.drop_connection
      unanswered = in_flight.map(&:first)
      unanswered.each { |index| @requests[index].ambiguous = true }
      (unanswered + queue + retry_later).partition { |index| keep?(index, results, e) }.first.then do |left|
        [left.sort, e]
      end
    end

    def keep?(index, results, error)
      return true if @requests[index].retryable? || !@requests[index].ambiguous

      results[index] = error
      false
    end

    def answer(connection, index, id)
      request = @requests[index]
      request.transform.call(connection.read_response(id))
    rescue Unavailable
      :unavailable
    rescue ProtocolError => e
      e
    end
  end
end
