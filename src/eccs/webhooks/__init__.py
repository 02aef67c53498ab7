"""Webhooks: senders' endpoints for delivery events, signed and delivered at least once.

The API (endpoints, their deliveries and attempts, re-sends, tests) is served by email-service;
the dispatcher that makes the requests runs in notification-service, beside the worker whose
outcomes cause most events.
"""
