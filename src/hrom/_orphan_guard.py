"""Imported by the multiprocessing fork server (a preload set by ``hrom.procs.forkserver_context``)
so that the server exits when the process that started it dies."""

from hrom.procs import die_with_parent

die_with_parent()
