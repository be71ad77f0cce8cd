-- wrk: POST the decision request named by $REQUEST to the path wrk was given.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("REQUEST"), "r"))
wrk.body = f:read("*a")
f:close()
