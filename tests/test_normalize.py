"""The Vietnamese normaliser: one canonical form for every way a citizen types."""

from nlu.normalize import normalize, strip_diacritics, tokens


def test_with_and_without_diacritics_are_equal():
    assert normalize("Đăng ký khai sinh cần giấy tờ gì?") == normalize("dang ky khai sinh can giay to gi")


def test_case_and_unicode_forms_do_not_matter():
    decomposed = "ĐĂNG KÝ KẾT HÔN".encode("utf-8").decode("utf-8")
    import unicodedata

    assert normalize(unicodedata.normalize("NFD", decomposed)) == normalize("đăng ký kết hôn") == "dang ky ket hon"


def test_teencode_and_abbreviations_are_expanded():
    assert normalize("dk gks can j ko ad") == "dang ky giay khai sinh can gi khong admin"
    assert normalize("làm cccd mất bnhiu") == "lam can cuoc cong dan mat bao nhieu"
    assert normalize("hkd tạm ngừng dc ko") == "ho kinh doanh tam ngung duoc khong"
    assert normalize("fí bao nhiêu") == "phi bao nhieu"


def test_polite_particle_is_not_mistaken_for_a_pronoun():
    assert normalize("cho em hỏi ạ").split()[-1] == "a"
    assert normalize("a ơi cho hỏi").split()[0] == "anh"


def test_a_word_typed_with_marks_is_not_read_as_teencode():
    assert normalize("sổ hồng") == "so hong"  # pink, not "hông" = không
    assert normalize("hông biết") == "khong biet"
    assert normalize("đc ko") == normalize("dc ko") == "duoc khong"


def test_stretched_letters_are_squeezed():
    assert normalize("nhiềuuuu quáaaa") == "nhieu qua"


def test_html_emoji_and_noise_leave_only_words():
    assert normalize("<b>khai sinh</b> 😀😀 !!!") == "khai sinh"
    assert normalize("😀") == ""
    assert tokens("") == []


def test_strip_diacritics_handles_d_bar():
    assert strip_diacritics("Đường đi") == "Duong di"


def test_very_long_input_is_handled():
    text = "khai sinh " * 2000
    assert len(tokens(text)) == 4000


def test_a_run_of_one_letter_is_no_word_even_if_it_normalises_to_one():
    from nlu.vocabulary import understood

    known = {"anh", "khai", "sinh"}
    assert not understood("a" * 2000, known)  # "aaaa…a" collapses to "a" (teencode for "anh"), but it is no word
    assert understood("aaaa anh ơi", known) and understood("khai sinh", known)
