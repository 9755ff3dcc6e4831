"""The baselines of bench/web.py (a Flask page that renders a small cached template) and of
bench/serving.py (a JSON endpoint).

Served by gunicorn exactly like the app (``gunicorn -c gunicorn.conf.py
'bench.trivial_app:create_app()'``), it shows the limit of Flask + gunicorn on this machine.
"""

from flask import Flask, jsonify, render_template, request
from jinja2 import DictLoader

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
<ul>{% for item in items %}<li>{{ item.name }} <span>{{ item.value }}</span></li>{% endfor %}</ul>
</main></body></html>
"""


def create_app():
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"page.html": PAGE})

    @app.get("/")
    def index():
        items = [{"name": f"item {i}", "value": i * i} for i in range(10)]
        return render_template("page.html", title="Hello", items=items)

    @app.post("/json")
    def echo():
        """The baseline of bench/serving.py: parse a JSON body, answer a small JSON one."""
        body = request.get_json()
        return jsonify({"rows": len(body.get("rows", [])), "predictions": [0]})

    return app
