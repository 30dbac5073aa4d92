# frozen_string_literal: true

module Failoverd
  # Every error this library raises.
  class Error < StandardError; end

  # The daemon could not be reached, closed the connection, or sent something that is not the protocol.
  class ConnectionError < Error; end

  # No answer within the timeout. For a mutation the outcome is unknown (see Client's safe retries).
  class TimeoutError < ConnectionError; end

  # The daemon refused a request: `code` is the protocol's stable error code.
  class ProtocolError < Error
    attr_reader :code, :request_id

    def initialize(message = nil, code: self.class::CODE, request_id: nil)
      @code = code
      @request_id = request_id
      super("#{code}: #{message}")
    end

    # The class for a protocol error code; unknown codes are treated like `internal` (protocol doc, Versioning).
    def self.for_code(code)
      CLASSES.fetch(code, InternalError)
    end
  end

  # One class per code in docs/control-protocol.md, "Errors".
  class BadRequest < ProtocolError; CODE = "bad_request"; end
  class UnknownOp < ProtocolError; CODE = "unknown_op"; end
  class NotFound < ProtocolError; CODE = "not_found"; end
  class Conflict < ProtocolError; CODE = "conflict"; end
  class InUse < ProtocolError; CODE = "in_use"; end
  class TooLarge < ProtocolError; CODE = "too_large"; end
  class Unauthorized < ProtocolError; CODE = "unauthorized"; end
  # The daemon cannot serve now (starting, stopping, journal unwritable); nothing changed. Retried by Client.
  class Unavailable < ProtocolError; CODE = "unavailable"; end
  class InternalError < ProtocolError; CODE = "internal"; end

  class ProtocolError
    CLASSES = [BadRequest, UnknownOp, NotFound, Conflict, InUse, TooLarge, Unauthorized, Unavailable, InternalError]
              .to_h { |klass| [klass::CODE, klass] }.freeze
  end

  # Reconciliation stopped: a guarded change met a state that moved since the plan was made.
  class ReconcileConflict < Error
    attr_reader :step, :cause_error

    def initialize(step, error)
      @step = step
      @cause_error = error
      super("stopped at #{step}: #{error.message}")
    end
  end
end
