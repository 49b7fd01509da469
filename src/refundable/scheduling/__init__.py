"""Due work as data: scheduled actions on the product's clock, and simulated test clocks.

Pure records and rules only (no I/O, no clock reads). A change that makes work due writes a
``ScheduledAction`` in its own transaction; a runner executes what is due at the clock's now.
A ``TestClock`` lets a tenant's time jump forward, running every action that falls due in order.
"""
