# frozen_string_literal: true

require "json"
require "socket"

module Failoverd
  # One Unix-socket connection speaking JSON lines. No retries here: see Client.
  class Connection
    # Requests the daemon reads ahead of its responses (protocol doc, Limits).
    MAX_IN_FLIGHT = 64
    # A response line may be large (an export of 100 000 groups is about 40 MB).
    MAX_LINE = 256 * 1024 * 1024

    def initialize(path, timeout:)
      @timeout = timeout
      @buffer = String.new(encoding: Encoding::BINARY)
      @socket = UNIXSocket.new(path)
    rescue SystemCallError => e
      raise ConnectionError, "cannot connect to #{path}: #{e.message}"
    end

    def write_request(id, op, args)
      request = { id: id, op: op }
      request[:args] = args unless args.nil? || args.empty?
      write_line(JSON.generate(request))
    end

    def write_line(line)
      @socket.write(line, "\n")
    rescue SystemCallError, IOError => e
      raise ConnectionError, "write failed: #{e.message}"
    end

    # The next message as a Hash; `timeout` nil waits forever.
    def read_message(timeout: @timeout)
      line = read_line(timeout)
      message = JSON.parse(line)
      raise ConnectionError, "not a JSON object: #{line[0, 200]}" unless message.is_a?(Hash)

      message
    rescue JSON::ParserError => e
      raise ConnectionError, "unreadable line from failoverd: #{e.message}"
    end

    # Reads the response to request `id`: its result, or raises its ProtocolError.
    def read_response(id, timeout: @timeout)
      message = read_message(timeout: timeout)
      unless message.key?("ok")
        raise ConnectionError, "expected a response to #{id.inspect}, got #{JSON.generate(message)[0, 200]}"
      end
      return message["result"] if message["ok"]

      error = message["error"] || {}
      # unauthorized and too_large come with id null; anything else must answer the request sent.
      if message["id"] != id && !message["id"].nil?
        raise ConnectionError, "response id #{message['id'].inspect}, expected #{id.inspect}"
      end

      raise ProtocolError.for_code(error["code"]).new(error["message"], code: error["code"], request_id: id)
    end

    def close
      @socket.close unless @socket.closed?
    end

    def closed?
      @socket.closed?
    end

    private

    def read_line(timeout)
      deadline = timeout && (monotonic + timeout)
      loop do
        if (index = @buffer.index("\n"))
          return @buffer.slice!(0..index).chomp.force_encoding(Encoding::UTF_8)
        end
        raise ConnectionError, "response line over #{MAX_LINE} bytes" if @buffer.bytesize > MAX_LINE

        fill(deadline)
      end
    end

    def fill(deadline)
      left = deadline && (deadline - monotonic)
      raise TimeoutError, "no answer from failoverd within #{@timeout} s" if left && left <= 0

      raise TimeoutError, "no answer from failoverd within #{@timeout} s" unless @socket.wait_readable(left)

      chunk = @socket.read_nonblock(1 << 16, exception: false)
      return if chunk == :wait_readable
      raise ConnectionError, "failoverd closed the connection" if chunk.nil?

      @buffer << chunk
    rescue SystemCallError, IOError => e
      raise ConnectionError, "read failed: #{e.message}"
    end

    def monotonic
      Process.clock_gettime(Process::CLOCK_MONOTONIC)
    end
  end
end
