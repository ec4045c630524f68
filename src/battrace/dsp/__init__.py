"""The pure Dataspace Protocol 2025-1 layer: no I/O, no HTTP, no database.

* ``states``      roles, states, events, ``InvalidTransition`` (400), ``is_terminal``
* ``negotiation`` ``NEGOTIATION_TRANSITIONS`` and ``next_negotiation_state`` (Contract Negotiation)
* ``transfer``    ``TRANSFER_TRANSITIONS`` and ``next_transfer_state`` (Transfer Process)
* ``validation``  the official 2025-1 JSON Schemas (shipped in ``schemas/``): ``validate_message``,
  ``validate_against``, ``normalise_singletons`` for EDC peers
* ``messages``    builders of outbound messages, EDR data addresses, the version response
* ``parse``       ``parse_message``: validated, typed, frozen views of inbound messages
"""
