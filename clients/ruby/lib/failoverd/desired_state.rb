# frozen_string_literal: true

require "ipaddr"

module Failoverd
  # The platform's desired state (docs/platform-client.md, "Desired state"):
  #
  #   {"apps" => [{"app" => "shop", "name" => "Shop", "web_head" => {"hostname" => "lb1.example.net"}}],
  #    "groups" => [{"address" => "414-262-781", "primary" => "shop", "backup" => "shop-dr", "active" => "primary"}]}
  #
  # web_head is required (nil: not deployed); a group's address, primary, backup and active are optional.
  class DesiredState
    DesiredApp = Struct.new(:id, :name, :web_head, keyword_init: true)
    DesiredGroup = Struct.new(:address, :primary, :backup, :active, keyword_init: true)

    attr_reader :apps, :groups

    def self.from_h(hash)
      hash = hash.transform_keys(&:to_s)
      unknown = hash.keys - %w[apps groups]
      raise ArgumentError, "desired state: unknown key #{unknown.first}" unless unknown.empty?

      new(apps: Array(hash["apps"]).map { |app| app_from(app.transform_keys(&:to_s)) },
          groups: Array(hash["groups"]).map { |group| group_from(group.transform_keys(&:to_s)) })
    end

    def self.app_from(hash)
      %w[app name web_head].each { |key| raise ArgumentError, "desired app: #{key} is required" unless hash.key?(key) }
      DesiredApp.new(id: hash["app"], name: hash["name"], web_head: hash["web_head"]&.transform_keys(&:to_s))
    end

    def self.group_from(hash)
      unknown = hash.keys - %w[address primary backup active]
      raise ArgumentError, "desired group: unknown key #{unknown.first}" unless unknown.empty?
      if hash["active"] && !%w[primary backup].include?(hash["active"])
        raise ArgumentError, "desired group #{hash['address']}: active must be primary or backup"
      end

      DesiredGroup.new(**hash.slice("address", "primary", "backup", "active").transform_keys(&:to_sym))
    end

    def initialize(apps:, groups:)
      @apps = apps
      @groups = groups
      check
    end

    # A web head in the form the daemon answers with, for comparing: hostnames lower case without the
    # final dot, addresses in canonical form, sorted, without duplicates.
    def self.normalize_web_head(web_head)
      return nil if web_head.nil?

      web_head = web_head.transform_keys(&:to_s)
      if web_head["hostname"]
        { "hostname" => web_head["hostname"].downcase.chomp(".") }
      else
        { "addresses" => web_head["addresses"].map { |a| IPAddr.new(a).to_s rescue a }.uniq.sort }
      end
    end

    private

    def check
      ids = apps.map(&:id)
      duplicate = ids.find { |id| ids.count(id) > 1 }
      raise ArgumentError, "desired state: app #{duplicate} twice" if duplicate

      addresses = groups.filter_map(&:address)
      duplicate = addresses.find { |address| addresses.count(address) > 1 }
      raise ArgumentError, "desired state: group #{duplicate} twice" if duplicate

      groups.each do |group|
        if group.active && group[group.active].nil?
          raise ArgumentError, "desired group #{group.address}: active #{group.active} has no app"
        end
      end
    end
  end
end
