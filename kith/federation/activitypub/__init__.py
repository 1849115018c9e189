"""The ActivityPub adapter: translates between ActivityStreams JSON and Kith's domain."""
