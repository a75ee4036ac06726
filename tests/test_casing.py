"""camelCase <-> snake_case conversion keeps map keys and Struct data as they are."""

from __future__ import annotations

from meshlens.models.casing import camel_to_snake, snake_to_camel, to_camel_tree, to_snake_tree


def test_field_names_round_trip() -> None:
    for snake in ("dynamic_active_clusters", "consecutive_5xx", "enforcing_consecutive_5xx",
                  "http2_protocol_options", "ipv4_compat", "accept_http_10", "name", "@type"):
        assert camel_to_snake(snake_to_camel(snake)) == snake


def test_map_keys_and_struct_data_keep_their_spelling() -> None:
    snake = {
        "metadata": {"filter_metadata": {"istio": {"default_original_port": 9080, "someKey": 1}}},
        "transport_socket_matches": [{"name": "tlsMode-istio", "match": {"tlsMode": "istio"}}],
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {"explicit_http_config": {}}},
        "lb_subset_config": {"default_subset": {"my_key": "a"}, "subset_selectors": [{"keys": ["version"]}]},
        "load_assignment": {"named_endpoints": {"ep_one": {"address": {"socket_address": {"port_value": 1}}}}},
        "node": {"metadata": {"PROXY_CONFIG": {"discoveryAddress": "x"}, "ISTIO_VERSION": "1.24"}},
    }
    camel = to_camel_tree(snake)
    assert camel["metadata"]["filterMetadata"]["istio"] == {"default_original_port": 9080, "someKey": 1}
    assert camel["transportSocketMatches"][0]["match"] == {"tlsMode": "istio"}
    assert camel["typedExtensionProtocolOptions"] == {
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {"explicitHttpConfig": {}}}
    assert camel["lbSubsetConfig"]["defaultSubset"] == {"my_key": "a"}
    assert camel["loadAssignment"]["namedEndpoints"]["ep_one"]["address"] == {"socketAddress": {"portValue": 1}}
    assert camel["node"]["metadata"]["PROXY_CONFIG"] == {"discoveryAddress": "x"}
    assert to_snake_tree(camel) == snake


def test_typed_struct_value_is_data() -> None:
    snake = {"typed_config": {"@type": "type.googleapis.com/udpa.type.v1.TypedStruct",
                              "type_url": "type.googleapis.com/istio.stats.PluginConfig",
                              "value": {"disable_host_header_fallback": True}}}
    camel = to_camel_tree(snake)
    assert camel["typedConfig"]["typeUrl"].endswith("PluginConfig")
    assert camel["typedConfig"]["value"] == {"disable_host_header_fallback": True}
    assert to_snake_tree(camel) == snake
