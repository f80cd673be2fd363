"""First and last names by culture, and their ASCII forms for e-mail addresses."""

from __future__ import annotations

import unicodedata

import numpy as np

# culture -> (first names, last names); first names mix genders.
CULTURES: dict[str, tuple[str, str]] = {
    "german": (
        "Anna Lukas Leonie Jonas Marie Felix Sophie Maximilian Lena Paul Hannah Elias Laura Ben "
        "Julia Finn Katharina Tobias Sabine Jürgen Ursula Klaus Monika Stefan Petra Matthias",
        "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter "
        "Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Krause",
    ),
    "french": (
        "Camille Louis Léa Hugo Chloé Gabriel Manon Arthur Inès Jules Emma Lucas Juliette Nathan "
        "Sophie Thomas Élodie Nicolas Céline Pierre Margaux Antoine Nathalie François Amélie",
        "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
        "Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier",
    ),
    "spanish": (
        "Lucía Hugo Martina Mateo Sofía Daniel María Pablo Paula Álvaro Carmen Javier Elena Diego "
        "Laura Alejandro Marta Sergio Ana Adrián Cristina Iker Nerea Raúl Pilar",
        "García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez "
        "Ruiz Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez",
    ),
    "italian": (
        "Giulia Leonardo Sofia Francesco Aurora Alessandro Alice Lorenzo Ginevra Mattia Chiara "
        "Andrea Francesca Marco Elena Matteo Valentina Giuseppe Federica Luca Martina Davide Sara",
        "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti "
        "De Luca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Caruso Mariani",
    ),
    "dutch": (
        "Emma Daan Julia Sem Tess Lucas Sophie Milan Zoë Levi Sara Bram Fleur Thijs Anouk Jesse "
        "Lotte Ruben Femke Sander Ilse Joost Maud Wouter Eva",
        "de Jong Jansen de Vries van den Berg van Dijk Bakker Janssen Visser Smit Meijer de Boer "
        "Mulder de Groot Bos Vos Peters Hendriks van Leeuwen Dekker Brouwer de Wit Dijkstra "
        "Peeters",
    ),
    "polish": (
        "Zuzanna Jakub Julia Antoni Maja Jan Zofia Szymon Hanna Filip Aleksandra Kacper Natalia "
        "Łukasz Agnieszka Piotr Katarzyna Tomasz Magdalena Michał Ewa Paweł Joanna Krzysztof",
        "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański "
        "Woźniak Dąbrowski Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski",
    ),
    "nordic": (
        "Elsa Oskar Alma William Freja Lucas Ida Noah Ingrid Emil Astrid Magnus Saga Liam Maja "
        "Henrik Sigrid Anders Linnea Mikkel Aino Eero Sofie Jonas Karin",
        "Andersson Johansson Karlsson Nilsson Eriksson Larsen Hansen Nielsen Jensen Pedersen "
        "Olsen Johansen Berg Lindqvist Virtanen Korhonen Mäkinen Nieminen Haugen Solberg Lund",
    ),
    "english": (
        "Olivia Oliver Amelia George Isla Harry Ava Jack Emily Charlie Sophie James Grace Thomas "
        "Chloe William Ella Daniel Lucy Samuel Siobhan Conor Aoife Rhys Megan",
        "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Walker "
        "Wright Robinson Thompson White Hughes Edwards Murphy Kelly O'Brien Walsh Byrne Ryan",
    ),
    "portuguese": (
        "Maria Francisco Leonor Afonso Matilde João Beatriz Tomás Carolina Duarte Inês Rodrigo "
        "Mariana Gonçalo Ana Miguel Sofia Pedro Rita Tiago Joana Rui",
        "Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Martins Jesus Sousa Fernandes "
        "Gonçalves Gomes Lopes Marques Alves Almeida Ribeiro Pinto Carvalho Teixeira Moreira",
    ),
    "czech": (
        "Eliška Jakub Tereza Jan Anna Tomáš Adéla Matyáš Natálie Vojtěch Karolína Ondřej Kristýna "
        "Lukáš Lucie Martin Petra Jiří Veronika Petr",
        "Novák Svoboda Novotný Dvořák Černý Procházka Kučera Veselý Horák Němec Marek Pokorný "
        "Král Růžička Beneš Fiala Sedláček Doležal Zeman Kolář",
    ),
    "greek": (
        "Maria Georgios Eleni Dimitrios Katerina Konstantinos Sofia Ioannis Anastasia Nikolaos "
        "Despina Panagiotis Georgia Christos Vasiliki Alexandros",
        "Papadopoulos Papadakis Georgiou Nikolaidis Pappas Oikonomou Vlachos Konstantinidis "
        "Dimitriou Karagiannis Makris Athanasiou Christodoulou Ioannidis",
    ),
    "turkish": (
        "Elif Yusuf Zeynep Emir Ayşe Mehmet Defne Mustafa Ecem Emre Selin Burak Merve Can Esra "
        "Ahmet Derya Kerem Aylin Murat",
        "Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan Doğan Kılıç "
        "Aslan Çetin Kara Koç Kurt Özkan Polat",
    ),
    "arabic": (
        "Mohammed Fatima Omar Aisha Youssef Mariam Ali Layla Hassan Nour Karim Salma Ibrahim Rania "
        "Khaled Yasmin Samir Leila Tariq Hana",
        "Haddad Khalil Nasser Mansour Saleh Hamdan Aziz Rahman Farouk Jaber Saeed Darwish Najjar "
        "Bakr Hussein Kassem Amrani Benali El Idrissi Bouzid",
    ),
    "indian": (
        "Aarav Priya Arjun Ananya Rohan Diya Vikram Kavya Rahul Isha Aditya Meera Sanjay Neha "
        "Karan Pooja Ravi Lakshmi Nikhil Divya",
        "Sharma Patel Singh Kumar Gupta Reddy Iyer Nair Mehta Joshi Rao Desai Shah Chopra Kapoor "
        "Malhotra Banerjee Das Pillai Verma",
    ),
    "chinese": (
        "Wei Li Jing Hao Mei Jun Xin Yang Lei Ying Chen Tao Lin Hui Bo Fang Qiang Yan Min Zhen",
        "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin He Gao Luo",
    ),
    "vietnamese": (
        "Linh Minh Anh Huy Thảo Duc Lan Nam Trang Quang Mai Tuan Hoa Long Ngoc Khanh",
        "Nguyen Tran Le Pham Hoang Phan Vu Vo Dang Bui Do Ho Ngo Duong Ly",
    ),
    "west_african": (
        "Chinedu Amara Kwame Ngozi Oluwaseun Adaeze Kofi Abena Emeka Chiamaka Tunde Folake Yaw "
        "Efua Ikenna Zainab Babajide Nneka",
        "Okafor Adeyemi Mensah Okonkwo Boateng Eze Nwosu Owusu Adebayo Asante Obi Balogun Danso "
        "Okeke Oyelaran Appiah Chukwu",
    ),
}

# Surnames such as "de Jong", "van den Berg", "De Luca" or "El Idrissi" are written as words
# above; their particles are joined back to the following word.
_PARTICLES = {"de", "van", "den", "De", "El"}


def _split_last_names(text: str) -> list[str]:
    names: list[str] = []
    pending: list[str] = []
    for token in text.split():
        if token in _PARTICLES:
            pending.append(token)
            continue
        names.append(" ".join([*pending, token]))
        pending = []
    return names


def ascii_form(name: str) -> str:
    """'Łukasz Wójcik' -> 'lukaszwojcik'-style parts for e-mail local parts."""
    special = str.maketrans({"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O", "đ": "d",
                             "ı": "i", "æ": "ae", "œ": "oe"})  # fmt: skip
    decomposed = unicodedata.normalize("NFKD", name.translate(special))
    plain = decomposed.encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


class NameTable:
    """All names flattened into arrays, with each culture's slice, for vectorised sampling."""

    def __init__(self) -> None:
        self.cultures = list(CULTURES)
        firsts = [CULTURES[c][0].split() for c in self.cultures]
        lasts = [_split_last_names(CULTURES[c][1]) for c in self.cultures]
        self.first, self.first_start, self.first_count = _flatten(firsts)
        self.last, self.last_start, self.last_count = _flatten(lasts)
        self.first_ascii = np.array([ascii_form(n) for n in self.first], dtype=object)
        self.last_ascii = np.array([ascii_form(n) for n in self.last], dtype=object)

    def index(self, culture: str) -> int:
        return self.cultures.index(culture)


def _flatten(groups: list[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    counts = np.array([len(g) for g in groups])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    flat = np.array([name for group in groups for name in group], dtype=object)
    return flat, starts, counts
