# frozen_string_literal: true

module Failoverd
  # Exponential backoff with full jitter: attempt n waits rand(0..min(max, base * 2**n)) seconds.
  class Backoff
    attr_reader :attempts

    def initialize(base: 0.05, max: 2.0, attempts: 10)
      @base = base
      @max = max
      @attempts = attempts
    end

    def delay(attempt)
      ceiling = [@max, @base * (2**attempt)].min
      (ceiling / 2) + rand * (ceiling / 2)
    end

    def sleep_before(attempt)
      sleep(delay(attempt))
    end
  end
end
