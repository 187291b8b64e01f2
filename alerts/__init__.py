"""E-mail alerts for ESS structures: subscribers, matching, digests, delivery, unsubscribe and feedback."""
