"""The local sandbox: the bridge end to end on one machine, under `chalice local --stage local`.

`python -m sandbox` starts the AWS twin, creates the resources of infra/resources.json in it, writes
`.env.sandbox` and runs `chalice local --stage local` with it. The local stage registers
`sandbox.routes.sandbox_routes`: the web page, the test-event routes, the SNS endpoint for Connect
streaming and the poller that feeds the buffer table's stream to `flush_buffer`.

Nothing here is packaged into the Lambda bundle (only app.py, chalicelib/ and vendor/ are).
"""
