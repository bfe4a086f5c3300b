// Every string the page shows, in Vietnamese (the default) and English. Markup names its
// strings with data-i18n (text), data-i18n-aria (aria-label) and data-i18n-ph (placeholder);
// code calls t(key, {var}). Category and model-kind labels come from the catalogue instead.

const vi = {
  title: 'Bản đồ điểm nóng',
  skip: 'Bỏ qua, đến bản đồ',
  menu: 'Bộ lọc và lớp',
  loading: 'Đang tải…',
  close: 'Đóng',
  retry: 'Thử lại',
  lang_switch: 'English',
  lang_switch_aria: 'Switch to English',
  // time
  time: 'Thời gian',
  t_all: 'Toàn bộ',
  t_latest: '12 tháng có dữ liệu gần nhất',
  t_this_month: 'Tháng này',
  t_this_year: 'Năm nay',
  t_last_12m: '12 tháng qua',
  t_custom: 'Tùy chọn',
  from: 'Từ ngày',
  through: 'Đến hết ngày',
  slider_from: 'Tháng bắt đầu',
  slider_to: 'Tháng kết thúc',
  range_all: 'Toàn bộ thời gian',
  range: '{from} – {to}',
  date_ph: 'dd/mm/yyyy',
  date_bad: 'Ngày không hợp lệ: “{text}”. Hãy nhập theo dạng dd/mm/yyyy, ví dụ 31/12/2024.',
  date_order: 'Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.',
  // filters
  categories: 'Loại tội phạm',
  severities: 'Mức độ',
  all_selected: 'Tất cả',
  n_selected: '{n} đã chọn',
  none_selected: 'Không chọn mức nào',
  no_severity: 'Chưa chọn mức độ nào nên không vẽ dữ liệu vụ việc. Hãy đánh dấu ít nhất một mức độ.',
  sev_less_serious: 'Ít nghiêm trọng',
  sev_serious: 'Nghiêm trọng',
  sev_very_serious: 'Rất nghiêm trọng',
  sev_especially_serious: 'Đặc biệt nghiêm trọng',
  resolution: 'Độ phân giải lưới H3',
  res_auto: 'Tự động theo mức thu phóng ({res})',
  res_n: 'Cấp {res}',
  filters_note: 'Bộ lọc áp dụng cho các lớp tính từ vụ việc.',
  // layers
  layers: 'Lớp bản đồ',
  l_density: 'Mật độ vụ việc',
  l_hotspots: 'Điểm nóng Gi*',
  l_zones: 'Vùng điểm nóng',
  l_emerging: 'Xu hướng điểm nóng',
  l_kde: 'Mật độ hạt nhân (KDE)',
  l_clusters: 'Cụm vụ việc (DBSCAN)',
  l_incidents: 'Vụ việc',
  l_cameras: 'Camera an ninh',
  l_models: 'Mô hình tự quản',
  l_complex: 'Địa bàn phức tạp',
  needs_sign_in: 'Cần đăng nhập',
  lock_layer: 'Cần đăng nhập để xem lớp này',
  lock_status: 'Cần đăng nhập để xem màu trạng thái',
  locked_legend: 'Lớp này chỉ hiện khi đã đăng nhập.',
  locked_status_legend: 'Màu trạng thái chương trình chỉ hiện khi đã đăng nhập.',
  complex_outline: 'Ranh giới địa bàn phức tạp',
  layer_error: 'Lỗi: {msg}',
  per_km2: 'vụ/km²',
  kde_unit: 'vụ/km² (ước lượng)',
  density_legend: 'Số vụ mỗi ô trong khoảng đã chọn',
  classes_note:
    'Mỗi màu gom khoảng 1/5 số vụ của toàn bộ dữ liệu ({from} – {to}); ngưỡng quy theo độ dài khoảng đã chọn, nên cùng màu là cùng số vụ mỗi ô mỗi ngày.',
  classes_note_window: 'Mỗi màu gom khoảng 1/5 số vụ trong khoảng đã chọn.',
  withheld_note: 'Ô có dưới {n} vụ được ẩn khi chưa đăng nhập.',
  cells: '{n} ô',
  no_data: 'Không có dữ liệu trong phạm vi đã chọn',
  bin_3: 'Nóng, tin cậy 99%',
  bin_2: 'Nóng, tin cậy 95%',
  bin_1: 'Nóng, tin cậy 90%',
  bin_0: 'Không có ý nghĩa thống kê',
  bin_m1: 'Lạnh, tin cậy 90%',
  bin_m2: 'Lạnh, tin cậy 95%',
  bin_m3: 'Lạnh, tin cậy 99%',
  fdr_note: 'Đã hiệu chỉnh so sánh bội (FDR)',
  zones_n: '{n} vùng',
  zones_list: 'Các vùng lớn nhất',
  clusters_n: '{n} cụm, {noise} điểm lẻ',
  incidents_n: 'Hiển thị {shown} / {total} vụ',
  incidents_capped: 'Phóng to để xem thêm',
  cluster_point: 'Nhóm vụ việc (số theo kích thước)',
  cameras_n: '{n} camera',
  camera_active: 'Đang hoạt động',
  camera_inactive: 'Không hoạt động',
  models_n: '{n} mô hình',
  programme_year: 'Năm chương trình',
  st_designated: 'Đã xác định',
  st_in_progress: 'Đang chuyển hóa',
  st_converted: 'Đã chuyển hóa',
  st_not_converted: 'Chưa chuyển hóa',
  st_none: 'Không xác định năm này',
  st_unknown: 'Địa bàn phức tạp (chưa đăng nhập: không có trạng thái)',
  flagged: 'Hai năm trở lên chưa chuyển hóa',
  areas_list: 'Danh sách địa bàn',
  em_new_hot_spot: 'Điểm nóng mới',
  em_consecutive_hot_spot: 'Điểm nóng liên tiếp',
  em_intensifying_hot_spot: 'Điểm nóng tăng cường',
  em_persistent_hot_spot: 'Điểm nóng dai dẳng',
  em_diminishing_hot_spot: 'Điểm nóng suy giảm',
  em_sporadic_hot_spot: 'Điểm nóng rải rác',
  em_oscillating_hot_spot: 'Điểm nóng dao động',
  em_historical_hot_spot: 'Điểm nóng trong quá khứ',
  em_new_cold_spot: 'Điểm lạnh mới',
  em_consecutive_cold_spot: 'Điểm lạnh liên tiếp',
  em_intensifying_cold_spot: 'Điểm lạnh tăng cường',
  em_persistent_cold_spot: 'Điểm lạnh dai dẳng',
  em_diminishing_cold_spot: 'Điểm lạnh suy giảm',
  em_sporadic_cold_spot: 'Điểm lạnh rải rác',
  em_oscillating_cold_spot: 'Điểm lạnh dao động',
  em_historical_cold_spot: 'Điểm lạnh trong quá khứ',
  em_no_pattern: 'Không có xu hướng',
  em_slices: 'Lát thời gian: {slice}',
  slice_week: 'tuần',
  slice_month: 'tháng',
  // ---- weight (count or harm) and local Moran's I (issue 11, map page) ----
  weight: 'Trọng số',
  weight_count: 'Số vụ',
  weight_harm: 'Mức độ thiệt hại',
  weight_note: 'Mức độ thiệt hại: mỗi vụ tính bằng số ngày tù ứng với loại tội và mức độ của nó (bảng trọng số của danh mục).',
  harm_days: 'ngày thiệt hại',
  harm_share: 'Tỷ trọng thiệt hại',
  harm_per_km2: 'ngày thiệt hại/km²',
  density_legend_harm: 'Mức độ thiệt hại: ngày thiệt hại/km² mỗi ô trong khoảng đã chọn',
  kde_unit_harm: 'ngày thiệt hại/km² (ước lượng)',
  classes_note_harm:
    'Mỗi màu gom khoảng 1/5 tổng thiệt hại của toàn bộ dữ liệu ({from} – {to}); ngưỡng quy theo độ dài khoảng đã chọn, nên cùng màu là cùng mức thiệt hại mỗi ngày.',
  classes_note_window_harm: 'Mỗi màu gom khoảng 1/5 tổng thiệt hại trong khoảng đã chọn.',
  gi_harm_note: 'Gi* so sánh tổng thiệt hại (ngày) của mỗi ô và các ô lân cận, không phải số vụ.',
  em_harm_note: 'Xu hướng tính trên mức độ thiệt hại (ngày) của từng lát thời gian.',
  l_outliers: 'Cụm và điểm bất thường (Moran cục bộ)',
  lisa_caption: 'Cao hay thấp: số vụ của ô so với ô trung bình; xung quanh: các ô lân cận',
  lisa_caption_harm: 'Cao hay thấp: mức độ thiệt hại (ngày) của ô so với ô trung bình; xung quanh: các ô lân cận',
  lisa_HH: 'Cụm nóng: cao, xung quanh cũng cao',
  lisa_HL: 'Điểm bất thường: cao, xung quanh thấp',
  lisa_LH: 'Điểm trũng: thấp, xung quanh cao',
  lisa_LL: 'Cụm lạnh: thấp, xung quanh cũng thấp',
  lisa_ns: 'Không có ý nghĩa thống kê (tô xám nhạt)',
  lisa_none:
    'Không ô nào khác biệt có ý nghĩa thống kê với các ô lân cận ở độ phân giải và khoảng thời gian này. Thử độ phân giải khác hoặc khoảng thời gian dài hơn.',
  lisa_reading:
    'Cụm nóng là vấn đề lan ra cả một khu vực; điểm bất thường là một ô nổi lên giữa khu vực yên ổn, nên xem xét riêng (một địa điểm, một tụ điểm).',
  lisa_note: 'Moran cục bộ (LISA), kiểm định hoán vị {n} lần.',
  lisa_note_fdr: 'Moran cục bộ (LISA), kiểm định hoán vị {n} lần; đã hiệu chỉnh so sánh bội (FDR).',
  // ---- end of weight and local Moran's I ----
  // ---- signed out on a public server (issue 18) ----
  t_month: 'Tháng',
  t_quarter: 'Quý',
  t_year: 'Năm',
  period: 'Kỳ',
  period_month: 'Tháng {m}/{y}',
  period_quarter: 'Quý {q}/{y}',
  period_year: 'Năm {y}',
  public_time: 'Khi chưa đăng nhập: từng tháng, quý hoặc năm trọn vẹn, hoặc toàn bộ thời gian.',
  rounded_month: 'Đã làm tròn theo tháng cho người xem công khai (đăng nhập để xem đúng khoảng thời gian của liên kết).',
  rounded_quarter: 'Đã làm tròn theo quý cho người xem công khai (đăng nhập để xem đúng khoảng thời gian của liên kết).',
  rounded_year: 'Đã làm tròn theo năm cho người xem công khai (đăng nhập để xem đúng khoảng thời gian của liên kết).',
  rounded_all: 'Đã mở rộng ra toàn bộ thời gian cho người xem công khai (đăng nhập để xem đúng khoảng thời gian của liên kết).',
  public_note: 'Số liệu công khai đã được làm nhiễu để bảo vệ bí mật.',
  lock_harm: 'Cần đăng nhập để tính theo mức độ thiệt hại',
  all_categories: 'Tất cả các loại',
  all_severities: 'Tất cả các mức',
  eps_m: 'Bán kính DBSCAN',
  metres: '{v} m',
  clusters_cells: '{n} cụm (vẽ theo ô H3)',
  slice_quarter: 'quý',
  // ---- end of public viewing ----
  // auth
  sign_in: 'Đăng nhập',
  sign_out: 'Đăng xuất',
  signed_in: 'Đã đăng nhập',
  token: 'Mã truy cập (API token)',
  token_help:
    'Dán mã do quản trị viên cấp (bắt đầu bằng dn_). Trang không lưu mã; trình duyệt giữ phiên đăng nhập đến khi bạn đăng xuất hoặc đóng trình duyệt.',
  token_bad: 'Mã truy cập không hợp lệ hoặc đã bị thu hồi.',
  cancel: 'Hủy',
  // panels
  area: 'Địa bàn',
  zone: 'Vùng điểm nóng',
  population: 'Dân số',
  status: 'Trạng thái năm {year}',
  years_not_converted: 'Số năm liên tiếp chưa chuyển hóa: {n}',
  unit: 'Đơn vị phụ trách',
  reasons: 'Lý do xác định',
  focus_categories: 'Loại tội phạm trọng tâm',
  sign_in_for_more: 'Đăng nhập để xem trạng thái, chỉ số và lịch sử.',
  not_designated: 'Không được xác định là địa bàn phức tạp năm {year}.',
  kpis: 'Chỉ số năm {year} ({from} – {to}) so với cùng kỳ năm trước và chỉ tiêu',
  kpis_note: 'Theo năm chương trình {year}; khoảng thời gian đang chọn trên bản đồ không áp dụng cho bảng này.',
  indicator: 'Chỉ số',
  value: 'Kết quả',
  target: 'Chỉ tiêu',
  assessment: 'Đánh giá',
  k_cases: 'Số vụ so với cùng kỳ',
  k_rate: 'Số vụ / 10.000 dân',
  k_clearance: 'Tỷ lệ điều tra làm rõ',
  k_clearance_serious: 'Làm rõ án rất và đặc biệt nghiêm trọng',
  k_hotspots: 'Ô điểm nóng trong địa bàn',
  k_cameras: 'Camera (trên km²)',
  k_models: 'Mô hình tự quản',
  light_green: 'Đạt',
  light_amber: 'Gần đạt',
  light_red: 'Không đạt',
  light_grey: 'Chưa đủ dữ liệu',
  cases_of: '{n} vụ (cùng kỳ {prev})',
  at_most: '≤ {v}',
  at_least: '≥ {v}',
  none_target: '0',
  lower_than_prev: 'Thấp hơn cùng kỳ ({v})',
  ch_down: 'giảm {v}%',
  ch_up: 'tăng {v}%',
  ch_up_from_zero: 'tăng từ 0',
  ch_same: 'không đổi',
  ch_sig: '{change}, có ý nghĩa thống kê',
  ch_not_sig: '{change}, chưa có ý nghĩa thống kê',
  target_met_sig: 'Đạt, có ý nghĩa thống kê',
  rate_ratio: 'Tỷ số so cùng kỳ {rr} (KTC 95%: {low}–{high}), {p}',
  rate_ratio_open: 'Tỷ số so cùng kỳ: n/a (KTC 95%: ≥ {low}), {p}',
  p_is: 'p = {p}',
  p_below: 'p < {p}',
  rate_eb: 'Ước lượng Bayes thực nghiệm: {eb} (so toàn thành phố), {seb} (so các phường giáp ranh)',
  cells_label: 'Số ô H3',
  trend: 'Diễn biến theo tháng',
  trend_aria: 'Số vụ theo tháng năm {year} (cột) và cùng kỳ năm trước (đường)',
  this_period: 'Năm {year}',
  prev_period: 'Cùng kỳ năm trước',
  history: 'Lịch sử',
  no_history: 'Chưa có sự kiện.',
  ev_designated: 'Xác định là địa bàn phức tạp',
  ev_transition: 'Chuyển trạng thái',
  ev_edited: 'Chỉnh sửa',
  by: 'bởi {who}',
  ev_year: 'năm chương trình {year}',
  evidence: 'Minh chứng',
  change_status: 'Cập nhật trạng thái',
  new_status: 'Trạng thái mới',
  note: 'Ghi chú',
  evidence_links: 'Liên kết minh chứng (mỗi dòng một liên kết)',
  save: 'Lưu',
  saved: 'Đã lưu.',
  no_moves: 'Năm này đã kết thúc; không thể chuyển thêm.',
  editor_needed: 'Cần mã truy cập có quyền biên tập.',
  incidents: 'Vụ việc',
  share: 'Tỷ lệ trên toàn thành phố',
  area_km2: 'Diện tích',
  km2: '{v} km²',
  top_categories: 'Loại tội phạm nhiều nhất',
  busiest_hours: 'Giờ cao điểm',
  busiest_days: 'Ngày cao điểm',
  wards: 'Phường',
  complex_areas: 'Địa bàn phức tạp',
  cameras: 'Camera',
  models: 'Mô hình tự quản',
  hour: '{h} giờ',
  wd_1: 'Thứ Hai',
  wd_2: 'Thứ Ba',
  wd_3: 'Thứ Tư',
  wd_4: 'Thứ Năm',
  wd_5: 'Thứ Sáu',
  wd_6: 'Thứ Bảy',
  wd_7: 'Chủ Nhật',
  month_short: 'T{m}',
  first_last: 'Từ {first} đến {last}',
  // errors
  err_network: 'Không kết nối được máy chủ.',
  err_http: 'Máy chủ trả lỗi {status}: {detail}',
  err_auth: 'Cần đăng nhập để xem dữ liệu này.',
  err_forbidden: 'Mã truy cập không đủ quyền: {detail}',
  err_layer: 'Không tải được lớp “{layer}”. {msg}',
  err_conflict: 'Không thể chuyển sang trạng thái này. Các bước hợp lệ: {allowed}',
};

const en = {
  title: 'Hotspot map',
  skip: 'Skip to the map',
  menu: 'Filters and layers',
  loading: 'Loading…',
  close: 'Close',
  retry: 'Retry',
  lang_switch: 'Tiếng Việt',
  lang_switch_aria: 'Chuyển sang tiếng Việt',
  time: 'Time',
  t_all: 'All',
  t_latest: 'Latest 12 months with data',
  t_this_month: 'This month',
  t_this_year: 'This year',
  t_last_12m: 'Last 12 months',
  t_custom: 'Custom',
  from: 'From',
  through: 'Through',
  slider_from: 'First month',
  slider_to: 'Last month',
  range_all: 'All time',
  range: '{from} – {to}',
  date_ph: 'dd/mm/yyyy',
  date_bad: 'Not a valid date: “{text}”. Type it as dd/mm/yyyy, e.g. 31/12/2024.',
  date_order: 'The first day must not be after the last.',
  categories: 'Categories',
  severities: 'Severity',
  all_selected: 'All',
  n_selected: '{n} selected',
  none_selected: 'None',
  no_severity: 'No severity is ticked, so no incident data is drawn. Tick at least one severity.',
  sev_less_serious: 'Less serious',
  sev_serious: 'Serious',
  sev_very_serious: 'Very serious',
  sev_especially_serious: 'Especially serious',
  resolution: 'H3 grid resolution',
  res_auto: 'Automatic from zoom ({res})',
  res_n: 'Resolution {res}',
  filters_note: 'Filters apply to the layers computed from incidents.',
  layers: 'Layers',
  l_density: 'Incident density',
  l_hotspots: 'Gi* hotspots',
  l_zones: 'Hotspot zones',
  l_emerging: 'Emerging hotspots',
  l_kde: 'Kernel density (KDE)',
  l_clusters: 'Point clusters (DBSCAN)',
  l_incidents: 'Incidents',
  l_cameras: 'Security cameras',
  l_models: 'Self-managed models',
  l_complex: 'Complex areas',
  needs_sign_in: 'Sign in needed',
  lock_layer: 'Sign in to see this layer',
  lock_status: 'Sign in to see the status colours',
  locked_legend: 'This layer shows once you are signed in.',
  locked_status_legend: 'The programme status colours show once you are signed in.',
  complex_outline: 'Complex area boundaries',
  layer_error: 'Error: {msg}',
  per_km2: 'incidents/km²',
  kde_unit: 'incidents/km² (estimated)',
  density_legend: 'Incidents per cell in the chosen period',
  classes_note:
    'Each colour holds about a fifth of all the incidents on record ({from} – {to}); its bounds are scaled to the chosen period’s length, so one colour is the same incidents per cell per day.',
  classes_note_window: 'Each colour holds about a fifth of the incidents in the chosen period.',
  withheld_note: 'Cells with fewer than {n} incidents are hidden until you sign in.',
  cells: '{n} cells',
  no_data: 'No data in the chosen range',
  bin_3: 'Hot, 99% confidence',
  bin_2: 'Hot, 95% confidence',
  bin_1: 'Hot, 90% confidence',
  bin_0: 'Not significant',
  bin_m1: 'Cold, 90% confidence',
  bin_m2: 'Cold, 95% confidence',
  bin_m3: 'Cold, 99% confidence',
  fdr_note: 'Corrected for multiple testing (FDR)',
  zones_n: '{n} zones',
  zones_list: 'Largest zones',
  clusters_n: '{n} clusters, {noise} noise points',
  incidents_n: 'Showing {shown} of {total} incidents',
  incidents_capped: 'Zoom in to see more',
  cluster_point: 'Group of incidents (size shows the count)',
  cameras_n: '{n} cameras',
  camera_active: 'Active',
  camera_inactive: 'Inactive',
  models_n: '{n} models',
  programme_year: 'Programme year',
  st_designated: 'Designated',
  st_in_progress: 'In progress',
  st_converted: 'Converted',
  st_not_converted: 'Not converted',
  st_none: 'Not designated this year',
  st_unknown: 'Complex area (signed out: no status)',
  flagged: 'Not converted two or more years running',
  areas_list: 'List of areas',
  em_new_hot_spot: 'New hot spot',
  em_consecutive_hot_spot: 'Consecutive hot spot',
  em_intensifying_hot_spot: 'Intensifying hot spot',
  em_persistent_hot_spot: 'Persistent hot spot',
  em_diminishing_hot_spot: 'Diminishing hot spot',
  em_sporadic_hot_spot: 'Sporadic hot spot',
  em_oscillating_hot_spot: 'Oscillating hot spot',
  em_historical_hot_spot: 'Historical hot spot',
  em_new_cold_spot: 'New cold spot',
  em_consecutive_cold_spot: 'Consecutive cold spot',
  em_intensifying_cold_spot: 'Intensifying cold spot',
  em_persistent_cold_spot: 'Persistent cold spot',
  em_diminishing_cold_spot: 'Diminishing cold spot',
  em_sporadic_cold_spot: 'Sporadic cold spot',
  em_oscillating_cold_spot: 'Oscillating cold spot',
  em_historical_cold_spot: 'Historical cold spot',
  em_no_pattern: 'No pattern',
  em_slices: 'Time slices: {slice}',
  slice_week: 'weeks',
  slice_month: 'months',
  // ---- weight (count or harm) and local Moran's I (issue 11, map page) ----
  weight: 'Weight',
  weight_count: 'Count',
  weight_harm: 'Harm',
  weight_note: "Harm: each incident weighs the days of custody its category and class carry (the catalogue's harm weights).",
  harm_days: 'harm-days',
  harm_share: 'Share of harm',
  harm_per_km2: 'harm-days/km²',
  density_legend_harm: 'Harm: harm-days per km² in each cell in the chosen period',
  kde_unit_harm: 'harm-days/km² (estimated)',
  classes_note_harm:
    'Each colour holds about 1/5 of the harm of the whole record ({from} – {to}); the bounds follow the length of the chosen period, so a colour means the same harm per day.',
  classes_note_window_harm: 'Each colour holds about 1/5 of the harm in the chosen period.',
  gi_harm_note: 'Gi* compares the harm (days) of each cell and its neighbours, not the number of incidents.',
  em_harm_note: 'Trends computed on the harm (days) of each time slice.',
  l_outliers: "Clusters and outliers (local Moran's I)",
  lisa_caption: "High or low: the cell's incidents against the average cell; around: its neighbours",
  lisa_caption_harm: "High or low: the cell's harm (days) against the average cell; around: its neighbours",
  lisa_HH: 'Hot cluster: high, surrounded by high',
  lisa_HL: 'Hot outlier: high, surrounded by low',
  lisa_LH: 'Low outlier: low, surrounded by high',
  lisa_LL: 'Cold cluster: low, surrounded by low',
  lisa_ns: 'Not significant (light grey)',
  lisa_none: 'No cell differs significantly from its neighbours at this resolution and period. Try another resolution or a longer period.',
  lisa_reading:
    'A hot cluster is a problem spread over an area; a hot outlier is one cell standing out in a quiet area, worth a look of its own (a single place or venue).',
  lisa_note: "Local Moran's I (LISA), {n} permutations.",
  lisa_note_fdr: "Local Moran's I (LISA), {n} permutations; corrected for multiple testing (FDR).",
  // ---- end of weight and local Moran's I ----
  // ---- signed out on a public server (issue 18) ----
  t_month: 'Month',
  t_quarter: 'Quarter',
  t_year: 'Year',
  period: 'Period',
  period_month: '{month} {y}',
  period_quarter: 'Q{q} {y}',
  period_year: '{y}',
  public_time: 'Signed out: one whole month, quarter or year at a time, or all time.',
  rounded_month: 'Rounded to a whole month for public viewing (sign in for the link’s exact range).',
  rounded_quarter: 'Rounded to a whole quarter for public viewing (sign in for the link’s exact range).',
  rounded_year: 'Rounded to a whole year for public viewing (sign in for the link’s exact range).',
  rounded_all: 'Widened to all time for public viewing (sign in for the link’s exact range).',
  public_note: 'Public figures are perturbed to protect confidentiality.',
  lock_harm: 'Sign in to weigh by harm',
  all_categories: 'All categories',
  all_severities: 'All classes',
  eps_m: 'DBSCAN radius',
  metres: '{v} m',
  clusters_cells: '{n} clusters (drawn as H3 cells)',
  slice_quarter: 'quarters',
  month_1: 'January',
  month_2: 'February',
  month_3: 'March',
  month_4: 'April',
  month_5: 'May',
  month_6: 'June',
  month_7: 'July',
  month_8: 'August',
  month_9: 'September',
  month_10: 'October',
  month_11: 'November',
  month_12: 'December',
  // ---- end of public viewing ----
  sign_in: 'Sign in',
  sign_out: 'Sign out',
  signed_in: 'Signed in',
  token: 'Access token (API token)',
  token_help:
    'Paste the token an administrator gave you (it starts with dn_). The page does not keep it; the browser keeps the sign-in until you sign out or close the browser.',
  token_bad: 'The token is not valid or has been revoked.',
  cancel: 'Cancel',
  area: 'Area',
  zone: 'Hotspot zone',
  population: 'Population',
  status: 'Status in {year}',
  years_not_converted: 'Years running not converted: {n}',
  unit: 'Responsible unit',
  reasons: 'Reasons for designation',
  focus_categories: 'Categories of concern',
  sign_in_for_more: 'Sign in to see the status, indicators and history.',
  not_designated: 'Not designated as a complex area in {year}.',
  kpis: 'Indicators for {year} ({from} – {to}) against a year earlier and the targets',
  kpis_note: 'For programme year {year}; the time range chosen for the map does not apply here.',
  indicator: 'Indicator',
  value: 'Result',
  target: 'Target',
  assessment: 'Assessment',
  k_cases: 'Cases vs same period last year',
  k_rate: 'Cases per 10,000 residents',
  k_clearance: 'Clearance rate',
  k_clearance_serious: 'Clearance of very and especially serious cases',
  k_hotspots: 'Hot cells in the area',
  k_cameras: 'Cameras (per km²)',
  k_models: 'Self-managed models',
  light_green: 'Met',
  light_amber: 'Nearly met',
  light_red: 'Not met',
  light_grey: 'Not enough data',
  cases_of: '{n} cases (a year earlier {prev})',
  at_most: '≤ {v}',
  at_least: '≥ {v}',
  none_target: '0',
  lower_than_prev: 'Below a year earlier ({v})',
  ch_down: 'down {v}%',
  ch_up: 'up {v}%',
  ch_up_from_zero: 'up from 0',
  ch_same: 'unchanged',
  ch_sig: '{change}, statistically significant',
  ch_not_sig: '{change}, not statistically significant',
  target_met_sig: 'Met and significant',
  rate_ratio: 'Ratio to a year earlier {rr} (95% CI {low}–{high}), {p}',
  rate_ratio_open: 'Ratio to a year earlier: n/a (95% CI ≥ {low}), {p}',
  p_is: 'p = {p}',
  p_below: 'p < {p}',
  rate_eb: 'Empirical Bayes: {eb} (city-wide), {seb} (with neighbouring wards)',
  cells_label: 'H3 cells',
  trend: 'Monthly trend',
  trend_aria: 'Cases per month in {year} (bars) and a year earlier (line)',
  this_period: '{year}',
  prev_period: 'A year earlier',
  history: 'History',
  no_history: 'No events yet.',
  ev_designated: 'Designated as a complex area',
  ev_transition: 'Status change',
  ev_edited: 'Edited',
  by: 'by {who}',
  ev_year: 'programme year {year}',
  evidence: 'Evidence',
  change_status: 'Change status',
  new_status: 'New status',
  note: 'Note',
  evidence_links: 'Evidence links (one per line)',
  save: 'Save',
  saved: 'Saved.',
  no_moves: 'This year is closed; no further move is possible.',
  editor_needed: 'This needs a token with the editor role.',
  incidents: 'Incidents',
  share: 'Share of the city',
  area_km2: 'Area',
  km2: '{v} km²',
  top_categories: 'Top categories',
  busiest_hours: 'Busiest hours',
  busiest_days: 'Busiest days',
  wards: 'Wards',
  complex_areas: 'Complex areas',
  cameras: 'Cameras',
  models: 'Self-managed models',
  hour: '{h}:00',
  wd_1: 'Monday',
  wd_2: 'Tuesday',
  wd_3: 'Wednesday',
  wd_4: 'Thursday',
  wd_5: 'Friday',
  wd_6: 'Saturday',
  wd_7: 'Sunday',
  month_short: '{m}',
  first_last: 'From {first} to {last}',
  err_network: 'Cannot reach the server.',
  err_http: 'The server answered {status}: {detail}',
  err_auth: 'Sign in to see this data.',
  err_forbidden: 'The token lacks the right: {detail}',
  err_layer: 'Could not load the “{layer}” layer. {msg}',
  err_conflict: 'Cannot move to that status. The legal moves: {allowed}',
};

/** @type {Record<string, Record<string, string>>} */
const DICT = { vi, en };
export const LANGS = ['vi', 'en'];
let lang = 'vi';

/**
 * Sets the page's language ('vi' for anything else than a known one).
 * @param {string} l
 */
export function setLang(l) {
  lang = DICT[l] ? l : 'vi';
  document.documentElement.lang = lang;
}
export const getLang = () => lang;

/**
 * The string `key` in the current language with `{name}` placeholders filled.
 * @param {string} key
 * @param {Record<string, unknown>} [vars]
 */
export function t(key, vars) {
  const s = DICT[lang][key] ?? DICT.vi[key] ?? key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : s;
}

/**
 * A catalogue entry's label in the current language (its code when it has none).
 * @param {Record<string, any> | null | undefined} entry
 * @param {string} code
 * @returns {string}
 */
export const label = (entry, code) => (entry ? entry[`label_${lang}`] || entry.label_vi : code);

// Numbers and dates are written by hand, not by Intl's locale data: the page's language
// decides the separators ("1.234,5" in Vietnamese, "1,234.5" in English) and dates are
// dd/mm/yyyy in both, whatever the browser's locale.
/** @type {Record<string, { group: string, decimal: string }>} */
const SEPARATORS = { vi: { group: '.', decimal: ',' }, en: { group: ',', decimal: '.' } };

/**
 * `v` with at most `digits` decimals (trailing zeros dropped) in language `l`'s style.
 * @param {unknown} v
 * @param {number} [digits]
 * @param {string} [l]
 */
export function formatNumber(v, digits = 0, l = lang) {
  if (v == null || typeof v !== 'number' || !Number.isFinite(v)) return '–';
  const { group, decimal } = SEPARATORS[l] || SEPARATORS.vi;
  let s = Math.abs(v).toFixed(digits);
  if (digits > 0) s = s.replace(/\.?0+$/, '');
  const [int, frac] = s.split('.');
  const out = int.replace(/\B(?=(\d{3})+(?!\d))/g, group) + (frac ? decimal + frac : '');
  return v < 0 && /[1-9]/.test(out) ? `-${out}` : out;
}
/**
 * A number in the current language's style.
 * @param {unknown} v
 * @param {number} [digits]
 */
export const num = (v, digits = 0) => formatNumber(v, digits);

let zone = 'Asia/Ho_Chi_Minh';
/**
 * The committee's time zone, in which times are shown.
 * @param {string} tz
 */
export const setZone = (tz) => {
  zone = tz || zone;
};
/** @type {Record<string, Intl.DateTimeFormat>} */
const partsFormat = {};
/**
 * dd/mm/yyyy HH:mm (or dd/mm/yyyy with `time` false) of an instant (seconds since the epoch, or
 * an RFC 3339 text), in the committee's zone.
 * @param {unknown} at
 * @param {boolean} [time]
 */
export function dateTime(at, time = true) {
  const d = typeof at === 'number' ? new Date(at * 1000) : new Date(String(at));
  if (at == null || Number.isNaN(d.getTime())) return String(at ?? '–');
  // 'en-GB' only names the parts; the digits and their order are ours.
  partsFormat[zone] ??= new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const p = Object.fromEntries(partsFormat[zone].formatToParts(d).map((x) => [x.type, x.value]));
  const day = `${p.day}/${p.month}/${p.year}`;
  return time ? `${day} ${p.hour}:${p.minute}` : day;
}
/**
 * A YYYY-MM-DD day (or the date part of a time written in the committee's zone) as dd/mm/yyyy.
 * @param {unknown} date
 */
export const dayText = (date) => {
  const s = String(date ?? '');
  return /^\d{4}-\d{2}-\d{2}/.test(s) ? `${s.slice(8, 10)}/${s.slice(5, 7)}/${s.slice(0, 4)}` : s;
};
/**
 * YYYY-MM → mm/yyyy.
 * @param {unknown} ym
 */
export const monthText = (ym) => `${String(ym).slice(5, 7)}/${String(ym).slice(0, 4)}`;
/**
 * A share (0.25) as a percentage (25%).
 * @param {number | null | undefined} v
 * @param {number} [digits]
 */
export const pct = (v, digits = 1) => (v == null ? '–' : `${num(v * 100, digits)}%`);
/**
 * A change in percent with its sign (+12,5%).
 * @param {number | null | undefined} v
 */
export const signedPct = (v) => (v == null ? '–' : `${v > 0 ? '+' : ''}${num(v, 1)}%`);

/**
 * Applies the dictionary to the static markup under `root`.
 * @param {ParentNode} [root]
 */
export function applyI18n(root = document) {
  /** @param {string} attr */
  const marked = (attr) => /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll(`[${attr}]`));
  for (const el of marked('data-i18n')) el.textContent = t(/** @type {string} */ (el.dataset.i18n));
  for (const el of marked('data-i18n-aria')) el.setAttribute('aria-label', t(/** @type {string} */ (el.dataset.i18nAria)));
  for (const el of marked('data-i18n-ph')) el.setAttribute('placeholder', t(/** @type {string} */ (el.dataset.i18nPh)));
  document.title = `diemnong — ${t('title')}`;
}
