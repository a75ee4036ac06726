"""A lab that runs a real Envoy on generated configurations and records what it did.

It is the ground truth for ``meshlens.trace``: every configuration (``configs.py``) comes with the
requests to send to it; ``lab.run_lab`` starts each configuration's Envoy in its own private network
namespace (loopback only), sends the requests, and returns, per request, Envoy's access-log lines and
what the client saw, plus Envoy's ``/config_dump`` to feed to meshlens (``compare.py`` checks the two
agree).

Modules:
    model       the data exchanged between the test process and the lab (probes, outcomes, results)
    envoy_json  small builders of Envoy v3 JSON (listeners, HCM, routes, clusters, access logs)
    configs     the configurations and their probes
    backend     the loopback HTTP backend (answers 200 with the Host and path it received)
    client      HTTP/1.0, HTTP/1.1, h2c (prior knowledge) and PROXY-protocol clients on raw sockets
    run_one     runs one configuration inside a network namespace (executed as a child process)
    lab         host side: checks prerequisites, runs every configuration in parallel, collects results
    compare     Envoy's outcome vs meshlens' trace: the agreement rules
"""
