-- simval's Pandoc filter for the built-in rendering route (Quarto does all of this itself).
--
-- 1. Quarto callouts (::: {.callout-note title="..."}) become a titled box: a <div class="callout ...">
--    in HTML, a #simval-callout(...)[...] block in Typst (defined in report.typ).
-- 2. Block quotes become a #simval-quote[...] block in Typst (a bar at the left, smaller text).
-- 3. Tables too wide for the page get column widths that fit (Typst only; see Table below).
-- 4. Long words (file names, metric paths, hashes) may wrap: boxes in Typst, <wbr> in HTML (see pieces below).
-- 5. Quarto conditional content (.content-visible / .content-hidden with when-format or unless-format)
--    is kept or dropped for the output format at hand.
--
-- The title is fixed report text; it is inserted as a Str, so Pandoc's writers escape it.

local KINDS = { note = true, tip = true, warning = true, important = true, caution = true }

local function is_html()
  return FORMAT:match("html") ~= nil
end

local function format_matches(name)
  if name == nil then return nil end
  if name == "html" then return is_html() end
  if name == "pdf" or name == "typst" then return FORMAT == "typst" end
  return FORMAT == name
end

local function conditional(el)
  local visible = el.classes:includes("content-visible")
  local hidden = el.classes:includes("content-hidden")
  if not visible and not hidden then return nil end
  local when = format_matches(el.attributes["when-format"])
  local unless = format_matches(el.attributes["unless-format"])
  local show
  if visible then
    show = (when == nil or when) and not (unless == true)
  else
    show = not ((when == nil or when) and not (unless == true))
  end
  if show then return el.content end
  return {}
end

local function callout(el)
  local kind
  for _, class in ipairs(el.classes) do
    local k = class:match("^callout%-(%a+)$")
    if k and KINDS[k] then kind = k end
  end
  if not kind then return nil end
  local title = el.attributes["title"] or ""
  local heading = pandoc.Para({ pandoc.Strong({ pandoc.Str(title) }) })
  if is_html() then
    local body = pandoc.Div(el.content, pandoc.Attr("", { "callout-body" }))
    local head = pandoc.Div({ heading }, pandoc.Attr("", { "callout-title" }))
    return pandoc.Div({ head, body }, pandoc.Attr(el.identifier, { "callout", "callout-" .. kind }))
  end
  if FORMAT == "typst" then
    local blocks = { pandoc.RawBlock("typst", '#simval-callout(kind: "' .. kind .. '")[') , heading }
    for _, block in ipairs(el.content) do table.insert(blocks, block) end
    table.insert(blocks, pandoc.RawBlock("typst", "]"))
    return blocks
  end
  return el.content
end

-- Block quotes (the metric definitions quoted from docs/metrics.md) as a #simval-quote block in Typst.
function BlockQuote(el)
  if FORMAT ~= "typst" then return nil end
  local blocks = { pandoc.RawBlock("typst", "#simval-quote[") }
  for _, block in ipairs(el.content) do table.insert(blocks, block) end
  table.insert(blocks, pandoc.RawBlock("typst", "]"))
  return blocks
end

-- Typst sizes "auto" table columns by a fair share that ignores what fits, so a wide table can wrap a
-- number mid-interval or overflow. For Typst only, a table too wide for the page gets relative widths:
-- every column at least its longest word, the rest shared in proportion to the text it holds.
local TABLE_CHARS = 112  -- characters of 7.4 pt DejaVu Sans across the 17 cm text width, less cell padding

-- Long words (file names, metric paths, hashes, formula terms) may wrap inside a table cell or a line, without a
-- character being added: Typst breaks a line only at spaces and never inside an overlong word, so in Typst each
-- piece of such a word goes into its own inline box, and a line may break between boxes (copying the text still
-- gives the word). A word breaks after . / , : = - and before _ ( [; a part with digits longer than
-- PIECE_MAX (a SHA-256) every PIECE_MAX characters; a long plain word is left to Typst's hyphenation.
-- The HTML gets <wbr> between the same pieces.
local LONG_WORD = 16  -- shorter words stay whole
local PIECE_MAX = 16

local function text_length(text)
  return utf8.len(text) or #text
end

local function utf8_chunks(text, size)
  local chunks, current, count = {}, {}, 0
  for _, code in utf8.codes(text) do
    table.insert(current, utf8.char(code))
    count = count + 1
    if count == size then
      table.insert(chunks, table.concat(current))
      current, count = {}, 0
    end
  end
  if count > 0 then table.insert(chunks, table.concat(current)) end
  return chunks
end

-- The pieces of one word (no spaces in it) between which a line may break.
local function pieces(word)
  -- Numbers and intervals (no letter, or held together by a no-break space) are never split.
  if text_length(word) <= LONG_WORD or not word:find("%a") or word:find("\u{00A0}") then return { word } end
  local marked = word:gsub("([%./,:=%-])", "%1\0"):gsub("([^\0])([_%(%[])", "%1\0%2")
  local result = {}
  for part in (marked .. "\0"):gmatch("([^\0]*)\0") do
    if part ~= "" then
      if text_length(part) > PIECE_MAX and part:find("%d") then
        for _, chunk in ipairs(utf8_chunks(part, PIECE_MAX)) do table.insert(result, chunk) end
      else
        table.insert(result, part)
      end
    end
  end
  return result
end

-- The pieces of every word of a text: the narrowest a table column holding it can be.
local function words(text)
  local result = {}
  for word in text:gmatch("%S+") do
    for _, piece in ipairs(pieces(word)) do table.insert(result, piece) end
  end
  local i = 0
  return function()
    i = i + 1
    return result[i]
  end
end

-- The pieces of a text that may hold spaces (inline code): each word's pieces, a space kept at the end of the
-- piece before it.
local function spaced_pieces(text)
  local result = {}
  for word, space in text:gmatch("(%S+)(%s*)") do
    local parts = pieces(word)
    parts[#parts] = parts[#parts] .. space
    for _, part in ipairs(parts) do table.insert(result, part) end
  end
  local lead = text:match("^%s+")
  if lead and result[1] then result[1] = lead .. result[1] end
  return result
end

-- In Typst, a long Str or inline code becomes a run of boxes, one per piece (a word of inline code with no
-- long word in it stays one piece: Typst breaks raw text at its spaces itself).
local function boxed(el, make)
  local parts = el.t == "Code" and spaced_pieces(el.text) or pieces(el.text)
  if #parts < 2 then return nil end
  if el.t == "Code" then
    local long = false
    for word in el.text:gmatch("%S+") do
      if #pieces(word) > 1 then long = true end
    end
    if not long then return nil end
  end
  local out = {}
  for _, part in ipairs(parts) do
    table.insert(out, pandoc.RawInline("typst", "#box["))
    table.insert(out, make(part))
    table.insert(out, pandoc.RawInline("typst", "]"))
  end
  return out
end

local breakable_words = {
  Str = function(el) return boxed(el, pandoc.Str) end,
  Code = function(el) return boxed(el, function(part) return pandoc.Code(part, el.attr) end) end,
}

-- In HTML, the pieces of a long Str are joined by <wbr>: a line may break there, no character is added.
-- (Inline code is left whole; the stylesheet lets code in a table cell wrap anywhere.)
local html_words = {
  Str = function(el)
    local parts = pieces(el.text)
    if #parts < 2 then return nil end
    local out = {}
    for i, part in ipairs(parts) do
      if i > 1 then table.insert(out, pandoc.RawInline("html", "<wbr>")) end
      table.insert(out, pandoc.Str(part))
    end
    return out
  end,
}

-- A table with more body rows than fit on a page with room to spare may break across pages (Typst keeps a
-- figure on one page, so a long one would overflow it, its last rows drawn over each other at the page foot).
local LONG_TABLE_ROWS = 30

local function body_rows(tbl)
  local count = 0
  for _, body in ipairs(tbl.bodies) do count = count + #body.body end
  return count
end

local function long_table(tbl)
  if body_rows(tbl) <= LONG_TABLE_ROWS then return tbl end
  return { pandoc.RawBlock("typst", "#simval-long-table["), tbl, pandoc.RawBlock("typst", "]") }
end

local function fit_widths(tbl)
  local n = #tbl.colspecs
  local natural, minimal, header = {}, {}, {}
  for i = 1, n do natural[i] = 1; minimal[i] = 1; header[i] = 1 end
  local function visit(rows, is_header)
    for _, row in ipairs(rows) do
      local col = 1
      for _, cell in ipairs(row.cells) do
        if col <= n then
          local text = pandoc.utils.stringify(cell.contents)
          local length = text_length(text)
          if is_header then
            header[col] = math.max(header[col], length)
          else
            natural[col] = math.max(natural[col], length)
          end
          for word in words(text) do minimal[col] = math.max(minimal[col], text_length(word)) end
        end
        col = col + (cell.col_span or 1)
      end
    end
  end
  visit(tbl.head.rows, true)
  for _, body in ipairs(tbl.bodies) do visit(body.body, false) end
  local total_natural, total_minimal, total_unwrapped = 0, 0, 0
  for i = 1, n do
    natural[i] = math.max(natural[i], minimal[i])
    total_natural = total_natural + natural[i]
    total_minimal = total_minimal + minimal[i]
    total_unwrapped = total_unwrapped + math.max(natural[i], header[i])
  end
  local room = TABLE_CHARS - 2 * n  -- each cell's padding takes about two characters
  -- Fits with every header and cell on one line: Typst's own widths are right.
  if total_unwrapped <= room then return nil end
  local widths, sum = {}, 0
  if total_natural <= room then
    -- The cells fit on one line; the room left goes to the headers that would wrap, in proportion.
    local want = 0
    for i = 1, n do want = want + math.max(header[i] - natural[i], 0) end
    for i = 1, n do
      local more = math.max(header[i] - natural[i], 0)
      widths[i] = natural[i] + (want > 0 and (room - total_natural) * more / want or 0)
    end
  else
    -- Too wide: every column keeps its longest word, the rest is shared by how much text each holds.
    local spare = math.max(room - total_minimal, 0)
    local extra = total_natural - total_minimal
    for i = 1, n do
      widths[i] = minimal[i] + (extra > 0 and spare * (natural[i] - minimal[i]) / extra or 0)
    end
  end
  for i = 1, n do
    widths[i] = widths[i] + 2
    sum = sum + widths[i]
  end
  for i = 1, n do
    tbl.colspecs[i] = { tbl.colspecs[i][1], widths[i] / sum }
  end
  return tbl
end

function Table(tbl)
  if FORMAT ~= "typst" then return nil end
  return long_table(fit_widths(tbl) or tbl)
end

function Div(el)
  local kept = conditional(el)
  if kept ~= nil then return kept end
  return callout(el)
end

-- Last, after the tables are measured: the body's long words become breakable (not the title, which Typst's
-- document metadata needs as plain text).
-- A short paragraph between a heading and a figure or table is sticky too: the heading, that paragraph and
-- the figure move to the next page together, never a heading and a sentence alone at the foot of a page.
local STICKY_CHARS = 400

local function introduces(previous, block, next_block)
  if previous == nil or previous.t ~= "Header" then return false end
  if block.t ~= "Para" or next_block == nil then return false end
  if next_block.t ~= "Figure" and next_block.t ~= "Table" then return false end
  return text_length(pandoc.utils.stringify(block)) <= STICKY_CHARS
end

function Pandoc(doc)
  if is_html() then
    doc.blocks = doc.blocks:walk(html_words)
    return doc
  end
  if FORMAT ~= "typst" then return nil end
  doc.blocks = doc.blocks:walk(breakable_words)
  local blocks = pandoc.Blocks({})
  for i, block in ipairs(doc.blocks) do
    if introduces(doc.blocks[i - 1], block, doc.blocks[i + 1]) then
      blocks:insert(pandoc.RawBlock("typst", "#block(sticky: true)["))
      blocks:insert(block)
      blocks:insert(pandoc.RawBlock("typst", "]"))
    else
      blocks:insert(block)
    end
  end
  doc.blocks = blocks
  return doc
end
