# frozen_string_literal: true

require_relative "lib/failoverd/version"

Gem::Specification.new do |spec|
  spec.name = "failoverd"
  spec.version = Failoverd::VERSION
  spec.summary = "Client for failoverd's control socket: apps, groups, switches, watch and reconciliation"
  spec.description = "Speaks failoverd's control protocol (JSON lines over a Unix socket) with typed errors, " \
                     "timeouts, reconnects, safe retries, pipelining, a resuming watch and a reconciler."
  spec.authors = ["failoverd developers"]
  spec.required_ruby_version = ">= 3.1"
  spec.files = Dir["lib/**/*.rb"] + ["README.md"]
  spec.require_paths = ["lib"]
  spec.metadata["rubygems_mfa_required"] = "true"
end
