"""The document frames around the clauses: title block, parties, clauses, signature note.

Kept as strings because the package data patterns ship ``.md`` and ``.json`` but not ``.html``; clause bodies
arrive already formatted (Markup), everything else is escaped by the environment rendering the frame.
"""

MARKDOWN_FRAME = """\
# {{ title }}

- Agreement: {{ agreement_id }}
- Template: {{ template_id }}, version {{ version }}
- Effective date: {{ effective | longdate }}

## Parties

{% for party in parties %}
{{ loop.index }}. {{ party.name }}{% if party.address %}, {{ party.address }}{% endif %}, \
identified by {{ party.did }}{% if party.bpn %} and business partner number {{ party.bpn }}{% endif %} \
(the "{{ party.role }}"){{ "; and" if not loop.last else "." }}
{% endfor %}
{% for clause in clauses %}

## {{ clause.number }}. {{ clause.title }}

{{ clause.body }}
{% endfor %}

## Signatures

This Agreement is concluded electronically. Each party signs the SHA-256 hash of the Markdown text of \
this Agreement, encoded in UTF-8, with the key of its decentralised identifier, and the hash is bound into \
the usage policy of the contract agreement {{ agreement_id }}.
"""

HTML_FRAME = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="battrace-contract-sha256" content="{{ sha256 }}">
<title>{{ title }} ({{ agreement_id }})</title>
<style>
body { font-family: Georgia, serif; line-height: 1.5; max-width: 48em; margin: 2em auto; padding: 0 1em; }
h1, h2 { font-family: Helvetica, Arial, sans-serif; }
dt { font-weight: bold; }
.number { font-weight: bold; margin-right: 0.5em; }
footer code { word-break: break-all; }
</style>
</head>
<body>
<article>
<header>
<h1>{{ title }}</h1>
<dl>
<dt>Agreement</dt><dd>{{ agreement_id }}</dd>
<dt>Template</dt><dd>{{ template_id }}, version {{ version }}</dd>
<dt>Effective date</dt><dd><time datetime="{{ effective.isoformat() }}">{{ effective | longdate }}</time></dd>
</dl>
</header>
<section id="parties">
<h2>Parties</h2>
<ol>
{% for party in parties %}
<li>{{ party.name }}{% if party.address %}, {{ party.address }}{% endif %}, identified by \
<code>{{ party.did }}</code>{% if party.bpn %} and business partner number {{ party.bpn }}{% endif %} \
(the "{{ party.role }}"){{ "; and" if not loop.last else "." }}</li>
{% endfor %}
</ol>
</section>
{% for clause in clauses %}
<section id="clause-{{ clause.id }}">
<h2>{{ clause.number }}. {{ clause.title }}</h2>
{{ clause.body }}
</section>
{% endfor %}
<section id="signatures">
<h2>Signatures</h2>
<p>This Agreement is concluded electronically. Each party signs the SHA-256 hash of the Markdown text of \
this Agreement, encoded in UTF-8, with the key of its decentralised identifier, and the hash is bound into \
the usage policy of the contract agreement {{ agreement_id }}.</p>
</section>
<footer>
<p>SHA-256 of the Markdown text of this contract: <code>{{ sha256 }}</code></p>
</footer>
</article>
</body>
</html>
"""
