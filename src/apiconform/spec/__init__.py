"""OpenAPI documents as contract data: extract the covered operations' schemas, diff two versions.

``openapi`` reads a document and finds operations, ``convert`` turns OpenAPI 3.0 schema objects
into draft 2020-12 JSON Schema, ``extract`` writes ``schemas/<provider>/`` with its provenance,
``conform`` holds a response to the extracted operation, and ``diff`` compares two documents.
"""
