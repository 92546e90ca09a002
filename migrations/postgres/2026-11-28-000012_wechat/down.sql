DROP TABLE wechat_tickets;
DROP TABLE wechat_bindings;
