"""Construction projects (在建项目) and the companies behind them (建设、施工、监理单位): credit
codes, the report links, a company's record, and the watch and black lists (信用评价, 红黑名单)."""
