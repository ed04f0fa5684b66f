package vkapi

// BaseURL returns the API server root the client talks to, such as
// "https://api.vk.com" (the User Long Poll client takes its scheme).
func (c *Client) BaseURL() string { return c.base }
