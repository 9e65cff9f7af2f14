"""Repository maintenance tools: package graph, CI matrix, script audit, legacy archive, docs checks."""
