"""notification-service: consume delivery requests, compose the MIME message, send it over SMTP."""
