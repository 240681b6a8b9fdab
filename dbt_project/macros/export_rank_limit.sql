{#- An export's row limit, declared once in its YAML as `meta.max_store_rank`. -#}
{% macro export_rank_limit(relation) -%}
    {%- if not execute -%}
        0
    {%- else -%}
        {%- set found = [] -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.alias == relation.identifier and node.schema == relation.schema -%}
            {%- do found.append(node.config.meta.get('max_store_rank')) -%}
        {%- endfor -%}
        {%- if found | length != 1 or found[0] is none -%}
            {{ exceptions.raise_compiler_error("export " ~ relation.identifier ~ " must declare meta.max_store_rank") }}
        {%- endif -%}
        {{ found[0] }}
    {%- endif -%}
{%- endmacro %}
