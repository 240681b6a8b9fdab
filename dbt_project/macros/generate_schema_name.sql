{#- Layers live in schemas named after them (staging, intermediate, marts, exports), in every target.
    A canary build (prod-pipelines canary) prefixes them with var schema_prefix ("canary_"). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ var('schema_prefix', '') ~ (custom_schema_name if custom_schema_name is not none else target.schema) }}
{%- endmacro %}
