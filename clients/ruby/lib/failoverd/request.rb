# frozen_string_literal: true

module Failoverd
  # One request with its retry rule (docs/control-protocol.md, "Safe retries").
  #
  # Every operation may be re-sent after a lost answer except group.create without an address
  # (Groups#create always passes one). A re-sent request that may already have been applied
  # (`ambiguous`) is checked instead of failing:
  # - app.remove, group.delete: not_found means the first attempt did it;
  # - group.create with an address: conflict and a group with the requested apps means it did;
  # - group.update with if_version: conflict and a group with the requested apps means it did.
  # group.switch re-sent re-schedules from the time of the retry (its due time moves by the delay).
  class Request
    attr_reader :op, :args, :transform
    attr_accessor :ambiguous

    def initialize(op, args = {}, &transform)
      @op = op
      @args = args.transform_keys(&:to_s)
      @transform = transform || :itself.to_proc
      @ambiguous = false
    end

    def retryable?
      !(op == "group.create" && @args["address"].nil?)
    end

    # The result to use instead of `error` when an ambiguous retry fails in the way a success would.
    def resolve(client, error)
      return nil unless ambiguous

      case [op, error]
      in ["app.remove", NotFound] then { "app" => args["app"], "removed" => true }
      in ["group.delete", NotFound] then { "address" => args["address"], "deleted" => true }
      in ["group.create" | "group.update", Conflict] then applied_group(client)
      else nil
      end
    end

    def to_s
      "#{op} #{JSON.generate(args)}"
    end

    private

    def applied_group(client)
      group = client.call("group.get", address: args["address"])
      # group.create: an absent role means none; group.update: an absent role is kept.
      roles = op == "group.create" ? %w[primary backup] : args.keys & %w[primary backup]
      group if roles.all? { |role| group[role] == args[role] }
    rescue NotFound
      nil
    end
  end
end
