# frozen_string_literal: true

# Client library for failoverd's control socket (docs/control-protocol.md).
module Failoverd; end

require_relative "failoverd/version"
require_relative "failoverd/errors"
require_relative "failoverd/backoff"
require_relative "failoverd/connection"
require_relative "failoverd/request"
require_relative "failoverd/models"
require_relative "failoverd/apps"
require_relative "failoverd/groups"
require_relative "failoverd/switches"
require_relative "failoverd/pipeline"
require_relative "failoverd/client"
require_relative "failoverd/state_cache"
require_relative "failoverd/watch"
require_relative "failoverd/desired_state"
require_relative "failoverd/reconciler"
