-- wrk script: cycle over the read endpoints with basic auth and count
-- every status class, so the caller can assert "no 5xx".
local paths = {
	"/api/fluent/status",
	"/api/requests?limit=100",
	"/api/requests?limit=50&sort=urgency&order=asc&q=printer",
	"/api/fluent/tickets?limit=50",
	"/api/tickets/closures/period?period=month",
	"/api/health",
}
local i = 0
local auth = os.getenv("WRK_AUTH")
local counts = {}
local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	s2, s4, s5 = 0, 0, 0
end

request = function()
	i = i + 1
	return wrk.format("GET", paths[(i % #paths) + 1],
	    { ["Authorization"] = "Basic " .. auth })
end

response = function(status, headers, body)
	if status >= 500 then s5 = s5 + 1
	elseif status >= 400 then s4 = s4 + 1
	else s2 = s2 + 1 end
end

done = function(summary, latency, requests)
	local t2, t4, t5 = 0, 0, 0
	for _, t in ipairs(threads) do
		t2 = t2 + t:get("s2")
		t4 = t4 + t:get("s4")
		t5 = t5 + t:get("s5")
	end
	io.write(string.format("STATUS2xx %d\nSTATUS4xx %d\nSTATUS5xx %d\n", t2, t4, t5))
	io.write(string.format("P99MS %.2f\n", latency:percentile(99) / 1000))
	io.write(string.format("SOCKERR %d\n", summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
