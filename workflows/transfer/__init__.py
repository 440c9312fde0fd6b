"""Transfer of a license from its holder to a named new holder."""
