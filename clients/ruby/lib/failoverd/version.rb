# frozen_string_literal: true

module Failoverd
  VERSION = "0.1.0"
  # The control protocol version this client speaks (sent with hello).
  PROTOCOL = 1
end
